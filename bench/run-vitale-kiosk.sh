#!/bin/bash
# bench/run-vitale-kiosk.sh [RUNS]: carte Vitale inserted -> its JSON line out of
# `santecard-vitale watch`, what a kiosk user waits for, in the private test bed
# (real pcscd + vpcd + santecard-sim, vitale-family: 3 beneficiaries), with the
# simulator's timing "none" then "realistic" (TESTBED_SIM_ARGS --timing).
# A python3 driver sends "insert" on the simulator's control socket itself and
# takes the time just before; the time of the line is when the driver reads it
# from the watcher's pipe. Removal -> "removed" line likewise. RUNS (default 20)
# of each, and RUNS of `santecard-vitale read --json` on the card already
# there (the read alone); min, median, p95, max in ms. pcscd runs without its debug log
# (TESTBED_PCSCD_FLAGS=""), as in production. Not part of make check:
# `make bench-vitale`; figures in docs/PERFORMANCE.md.
here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$here/..}"
export top_builddir
if [ -z "${TESTBED_DIR:-}" ]; then
	for t in ${BENCH_TIMINGS:-none realistic}; do
		TESTBED_PCSCD_FLAGS="" TESTBED_SIM_ARGS="--timing $t" BENCH_TIMING=$t \
			"$here/../tests/integration/testbed" --cards "vitale-family none" \
			"$here/$(basename "$0")" "${1:-20}" || exit 1
	done
	# The same behind a reader that reports card movement itself, as USB CCID
	# and NFC readers do through our drivers' event threads: the test reader
	# (tests/integration/ifd_pinpad.so over vpcd, STC_PINPAD_EVENTS=1) instead
	# of pcscd polling vpcd every 400 ms.
	ev="$top_builddir/tests/integration/.libs/ifd_pinpad.so"
	if [ -f "$ev" ]; then
		for t in ${BENCH_TIMINGS:-none realistic}; do
			STC_PINPAD_INNER="$VPCD_DRIVER" STC_PINPAD_EVENTS=1 VPCD_DRIVER="$ev" \
				TESTBED_PCSCD_FLAGS="" TESTBED_SIM_ARGS="--timing $t" \
				BENCH_TIMING="$t,events" "$here/../tests/integration/testbed" \
				--cards "vitale-family none" "$here/$(basename "$0")" "${1:-20}" || exit 1
		done
	else
		echo "(no $ev: make check builds it; the event-reader rows are skipped)"
	fi
	exit 0
fi
# An in-tree build's santecard-vitale is a libtool wrapper script that costs
# 0.2 s a start: time the program itself.
prog=$(command -v santecard-vitale)
if head -c 200 "$prog" | grep -q libtool && [ -x "$(dirname "$prog")/.libs/santecard-vitale" ]; then
	export LD_LIBRARY_PATH="$(dirname "$prog")/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	prog="$(dirname "$prog")/.libs/santecard-vitale"
fi
export BENCH_PROG=$prog
exec /usr/bin/python3 - "${1:-20}" "$TESTBED_SIM0_CTL" "$BENCH_TIMING" <<'PYEOF'
import json, os, select, socket, subprocess, sys, time

runs, ctl, timing = int(sys.argv[1]), sys.argv[2], sys.argv[3]

def control(cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(ctl)
    t = time.monotonic()
    s.sendall(cmd.encode() + b"\n")
    s.recv(64)
    s.close()
    return t

prog = os.environ["BENCH_PROG"]
w = subprocess.Popen([prog, "watch"], stdout=subprocess.PIPE, bufsize=0)
buf = b""

def next_line(timeout=10):
    global buf
    end = time.monotonic() + timeout
    while b"\n" not in buf:
        left = end - time.monotonic()
        if left <= 0 or not select.select([w.stdout], [], [], left)[0]:
            raise SystemExit("bench: no line from the watcher in %d s" % timeout)
        chunk = os.read(w.stdout.fileno(), 65536)
        if not chunk:
            raise SystemExit("bench: the watcher exited")
        buf += chunk
    line, buf = buf.split(b"\n", 1)
    return time.monotonic(), json.loads(line)

first = next_line()[1]           # the card present at start
assert first["event"] == "card", first
ins, rem = [], []
for i in range(runs):
    t0 = control("remove")
    t1, d = next_line()
    assert d["event"] == "removed", d
    rem.append((t1 - t0) * 1000)
    time.sleep(0.05 + (i % 8) * 0.05)   # spread the insertions over pcscd's polling period
    t0 = control("insert")
    t1, d = next_line()
    assert d["event"] == "card" and len(d["beneficiaries"]) == 3, d
    ins.append((t1 - t0) * 1000)
    time.sleep(0.2)
w.terminate()
w.wait()
# the read alone, without pcscd's presence polling: a new process reading the
# card already in the reader (process start, connect, 8 APDUs, JSON)
rd = []
for i in range(runs):
    t0 = time.monotonic()
    r = subprocess.run([prog, "read", "--json"], capture_output=True)
    rd.append((time.monotonic() - t0) * 1000)
    assert r.returncode == 0 and json.loads(r.stdout)["event"] == "card", r

def stats(v):
    v = sorted(v)
    p95 = v[min(len(v) - 1, int(round(0.95 * (len(v) - 1))))]
    return "min %6.1f  median %6.1f  p95 %6.1f  max %6.1f ms" % (v[0], v[len(v) // 2], p95, v[-1])

print("timing %-16s inserted -> card line   (%d runs): %s" % (timing, runs, stats(ins)))
print("timing %-16s removed  -> removed line (%d runs): %s" % (timing, runs, stats(rem)))
print("timing %-16s read --json, card present (%d runs): %s" % (timing, runs, stats(rd)))
PYEOF
