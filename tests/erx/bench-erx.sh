#!/bin/bash
# bench-erx.sh [RUNS]: santecard-erx end to end with the simulator's realistic
# timing (TESTBED_SIM_ARGS="--timing realistic --trace FILE"), in the private
# test bed, against the stand-in (tests/standins/erx): RUNS prescriptions from
# the carte Vitale by the doctor's CPS, then RUNS fetches and RUNS dispensations
# of one unit by the pharmacist's CPS. Wall-clock time of each command (min,
# median, max in ms) and, from the simulator's APDU trace, the APDUs per
# command, per signature (the MSE/PSO run that ends with PSO COMPUTE DIGITAL
# SIGNATURE), the PIN verifications and the INTERNAL AUTHENTICATEs (one per TLS
# handshake). pcscd without its debug log and libsantecard's public-data cache on
# (STC_NO_CACHE=1 for a cold card every time), as in production. Not part of make
# check: `make bench-erx`; figures in docs/PERFORMANCE.md.
here=$(cd "$(dirname "$0")" && pwd)
self="$here/$(basename "$0")"
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
if [ -z "${TESTBED_DIR:-}" ]; then
	BENCH_DIR=$(mktemp -d /tmp/santecard-erx-bench.XXXXXX) || exit 1
	export BENCH_DIR BENCH_RUNS=${1:-5}
	for part in doctor pharmacist; do
		case $part in
		doctor) cards="cps-doctor vitale-family" ;;
		pharmacist) cards="cps-pharmacist none" ;;
		esac
		STC_NO_CACHE=${STC_NO_CACHE:-0} TESTBED_PCSCD_FLAGS="" BENCH_PART=$part \
			TESTBED_SIM_ARGS="--timing realistic --trace $BENCH_DIR/trace.$part" \
			"$here/../integration/testbed" --cards "$cards" "$self" || { rc=1; break; }
	done
	[ "${rc:-0}" = 0 ] && /usr/bin/python3 - "$BENCH_DIR" <<'PYEOF'
import statistics, sys
d = sys.argv[1]
rows = [l.split() for l in open(d + "/results")]
print("%-10s %5s %8s %8s %8s %7s %9s %7s %9s" % ("command", "runs", "min ms", "median", "max ms",
      "APDUs", "sig APDUs", "VERIFY", "INT AUTH"))
for cmd in ("prescribe", "fetch", "dispense"):
    r = [x for x in rows if x[0] == cmd]
    if not r:
        continue
    ms = [float(x[1]) for x in r]
    col = lambda i: statistics.median(int(x[i]) for x in r)
    print("%-10s %5d %8.0f %8.0f %8.0f %7d %9d %7d %9d" % (cmd, len(r), min(ms),
          statistics.median(ms), max(ms), col(2), col(3), col(4), col(5)))
PYEOF
	rc=${rc:-$?}
	rm -rf "$BENCH_DIR"
	exit $rc
fi

# ------------------------------------------------------------- inside a bed
set -e
# the test bed points XDG_CACHE_HOME at a directory it does not make; the
# cache only works in an existing one
[ "${STC_NO_CACHE:-0}" = 0 ] && mkdir -p "$XDG_CACHE_HOME"
S=$BENCH_DIR/standin
export XDG_STATE_HOME=$BENCH_DIR/state
export SANTECARD_PKCS11_MODULE=$top_builddir/pkcs11/.libs/santecard-pkcs11.so
"$top_srcdir/tests/standins/erx/start" "$S" > /dev/null
. "$S/env"
export SANTECARD_ERX_URL=$ERX_URL SANTECARD_ERX_CA=$ERX_CA
trap '"$top_srcdir/tests/standins/erx/stop" "$S"' EXIT
cd "$BENCH_DIR"
# an in-tree build's santecard-erx is a libtool wrapper script: time the program
prog=$(command -v santecard-erx)
if head -c 200 "$prog" | grep -q libtool && [ -x "$(dirname "$prog")/.libs/santecard-erx" ]; then
	export LD_LIBRARY_PATH="$(dirname "$prog")/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	prog="$(dirname "$prog")/.libs/santecard-erx"
fi
trace=$BENCH_DIR/trace.$BENCH_PART
now_ms() { date +%s%N | awk '{ printf "%.1f", $1 / 1e6 }'; }
# run NAME CMD...: time it, then count its APDUs in the trace
run() {
	local name=$1 start t0 t1
	shift
	start=$(wc -l < "$trace")
	t0=$(now_ms)
	"$@" 3<<<1234 > "$BENCH_DIR/out" 2> "$BENCH_DIR/err" || { cat "$BENCH_DIR/err" >&2; return 1; }
	t1=$(now_ms)
	tail -n +$((start + 1)) "$trace" | /usr/bin/python3 -c '
import sys
cmds = [l.split()[2:] for l in sys.stdin if " C> " in l]
sig = 0
for i, c in enumerate(cmds):
    if c[:4] == ["00", "2A", "9E", "9A"]:
        j = i
        while j >= 0 and cmds[j][1] in ("22", "2A"):
            j -= 1
        sig = i - j
print(len(cmds), sig, sum(c[1] == "20" and len(c) > 5 for c in cmds), sum(c[1] == "88" for c in cmds))
' | { read -r n s v a; echo "$name $(awk "BEGIN { print $t1 - $t0 }") $n $s $v $a" >> "$BENCH_DIR/results"; }
}
case $BENCH_PART in
doctor)
	printf '[{"code":{"system":"http://data.esante.gouv.fr/ansm/medicament/codeCIP13","code":"3400935955838","display":"AMOXICILLINE 1 g"},"dosage":"1 matin et soir","quantity":1000,"unit":"boîte"}]\n' > items.json
	for _ in $(seq "$BENCH_RUNS"); do
		run prescribe "$prog" prescribe --patient vitale --beneficiary 1 --items items.json \
			--quiet --pin-fd 3
	done
	head -n 1 out > id
	;;
pharmacist)
	printf '[{"line":"1","quantity":1}]\n' > one.json
	for _ in $(seq "$BENCH_RUNS"); do
		run fetch "$prog" fetch --id "$(cat id)" --pin-fd 3
		run dispense "$prog" dispense --id "$(cat id)" --lines one.json --pin-fd 3
	done
	;;
esac
