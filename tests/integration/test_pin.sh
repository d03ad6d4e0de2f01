#!/bin/bash
# `santecard pin status|verify|change|unblock` against the simulated CPS3
# (cps-doctor: PIN 1234, 3 tries; PUK 12345678, 10 tries, 100 uses) and a carte
# Vitale (no PIN): --pin-fd for scripts, the terminal with the echo off (through
# a pseudo-terminal), exit codes, and no PIN in what the tool prints.
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${TESTBED_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test bed needs root for its private namespaces"
		exit 77
	fi
	exec "$here/testbed" --cards "cps-doctor vitale-family" "$here/$(basename "$0")"
fi
. "$here/lib.sh"
PY=/usr/bin/python3
T=$TESTBED_DIR
R0='Virtual PCD 00 00'
R1='Virtual PCD 00 01'
# Everything the tool prints goes to $T/all too, to look for PINs at the end.
: > "$T/all"
# run OUT ERR CMD...: run CMD with stdout in OUT, stderr in ERR; $rc is its status
run() {
	local o=$1 e=$2
	shift 2
	"$@" > "$o" 2> "$e"
	rc=$?
	cat "$o" "$e" >> "$T/all"
}
pin() { run "$T/out" "$T/err" santecard pin "$@"; }
status_json() { run "$T/status.json" "$T/err" santecard pin status --json --reader "$R0"; }
# jq-like checks on the last status: field PATH VALUE (Python literal)
field() {
	$PY -c 'import json, sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    d = d[k]
want = eval(sys.argv[3])
sys.exit(0 if d == want else print("  (%s is %r, not %r)" % (sys.argv[2], d, want)) or 1)' \
		"$T/status.json" "$1" "$2"
}

# -- status: the CPS is found without --reader; the PUK's counters
pin status
check "status exits 0" test "$rc" = 0
check "status: the CPS's reader" grep -qx "Reader: $R0" "$T/out"
check "status: PIN 3 of 3 tries" grep -qx 'PIN:    3 of 3 tries left, not verified (4 to 8 digits)' "$T/out"
check "status: PUK 10 tries, 100 uses" grep -qx 'PUK:    10 of 10 tries left, 100 uses left (4 to 8 digits)' "$T/out"
check "status: vpcd has no keypad" grep -qx 'Keypad: no' "$T/out"
pin verify --pinpad
check "verify --pinpad on a reader without keypad: exit 1" test "$rc" = 1
check "verify --pinpad: says there is no keypad" grep -q 'has no keypad' "$T/err"
status_json
check "status --json exits 0" test "$rc" = 0
check "status --json: the whole object" $PY - "$T/status.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d == {"reader": "Virtual PCD 00 00", "card": "CPS3 (contact)",
             "pin": {"tries_left": 3, "max_tries": 3, "verified": False, "blocked": False,
                     "min_length": 4, "max_length": 8},
             "puk": {"tries_left": 10, "max_tries": 10, "uses_left": 100, "blocked": False,
                     "min_length": 4, "max_length": 8},
             "keypad": {"verify": False, "change": False}}, d
PYEOF

# -- verify: right PIN, wrong PIN, right PIN again
pin verify --pin-fd 3 3<<< 1234
check "verify with the right PIN exits 0" test "$rc" = 0
check "verify says so" grep -qx 'PIN verified.' "$T/out"
status_json
check "the card is reset after a verify: not left verified" field pin.verified False
pin verify --reader "$R0" --pin-fd 3 3<<< 9876
check "wrong PIN exits 5" test "$rc" = 5
check "wrong PIN: 2 tries left" grep -qx 'santecard pin: wrong PIN, 2 tries left' "$T/err"
status_json
check "status shows 2 tries" field pin.tries_left 2
pin status --reader "$R0"
check "status text shows 2 of 3" grep -qx 'PIN:    2 of 3 tries left, not verified (4 to 8 digits)' "$T/out"
printf 1234 > "$T/pinfile"
pin verify --pin-fd 4 4< "$T/pinfile"
check "right PIN from a file without newline exits 0" test "$rc" = 0
status_json
check "the right PIN resets the tries to 3" field pin.tries_left 3

# -- lengths: refused before anything is sent (the tries stay)
pin verify --pin-fd 3 3<<< 123
check "3-digit PIN exits 2" test "$rc" = 2
check "3-digit PIN: the bounds" grep -qx 'santecard pin: the PIN must have between 4 and 8 digits' "$T/err"
pin verify --pin-fd 3 3<<< 123456789
check "9-digit PIN exits 2" test "$rc" = 2
pin verify --pin-fd 3 3<<< 12a4
check "non-digits exit 2" test "$rc" = 2
pin verify --pin-fd 3 3<<< "$(printf '1%.0s' $(seq 200))"
check "a 200-character line exits 2" test "$rc" = 2
pin verify --pin-fd 3 3< /dev/null
check "empty --pin-fd exits 2" test "$rc" = 2
check "empty --pin-fd says so" grep -q 'end of input, no line for the PIN' "$T/err"
status_json
check "refused PINs cost no try" field pin.tries_left 3

# -- change and change back; the new PIN works, the old does not
pin change --pin-fd 3 3<<< $'1234\n4321'
check "change 1234 -> 4321 exits 0" test "$rc" = 0
check "change says so" grep -qx 'PIN changed.' "$T/out"
pin verify --pin-fd 3 3<<< 4321
check "the new PIN verifies" test "$rc" = 0
pin change --pin-fd 3 3<<< $'4321\n1234'
check "change back exits 0" test "$rc" = 0
pin verify --pin-fd 3 3<<< 1234
check "1234 verifies again" test "$rc" = 0
pin change --pin-fd 3 3<<< 1234
check "change with one line only exits 2" test "$rc" = 2
check "change: the missing line named" grep -q 'no line for the new PIN' "$T/err"
pin change --pin-fd 3 3<<< $'5555\n4321'
check "change with a wrong current PIN exits 5" test "$rc" = 5
check "change: 2 tries left" grep -qx 'santecard pin: wrong PIN, 2 tries left' "$T/err"
pin verify --pin-fd 3 3<<< 1234
check "the PIN was not changed" test "$rc" = 0

# -- three wrong: blocked
pin verify --pin-fd 3 3<<< 1111
check "1st wrong: exit 5" test "$rc" = 5
pin verify --pin-fd 3 3<<< 1111
check "2nd wrong: 1 try left" grep -qx 'santecard pin: wrong PIN, 1 try left' "$T/err"
pin verify --pin-fd 3 3<<< 1111
check "3rd wrong exits 6" test "$rc" = 6
check "3rd wrong: blocked, use the PUK" grep -qx 'santecard pin: PIN blocked: unblock it with the PUK (santecard pin unblock)' "$T/err"
pin status
check "status: blocked" grep -qx 'PIN:    blocked, 0 of 3 tries left, not verified (4 to 8 digits)' "$T/out"
status_json
check "status --json: blocked" field pin.blocked True
pin verify --pin-fd 3 3<<< 1234
check "verify on a blocked PIN exits 6, even the right one" test "$rc" = 6
check "blocked: the PUK hint" grep -q 'unblock it with the PUK' "$T/err"

# -- unblock with the PUK
pin unblock --pin-fd 3 3<<< $'87654321\n2468'
check "wrong PUK exits 5" test "$rc" = 5
check "wrong PUK: 9 tries left" grep -qx 'santecard pin: wrong PUK, 9 tries left' "$T/err"
pin unblock --pin-fd 3 3<<< $'12345678\n12'
check "unblock with a too short new PIN exits 2" test "$rc" = 2
check "... names the new PIN" grep -qx 'santecard pin: the new PIN must have between 4 and 8 digits' "$T/err"
pin unblock --pin-fd 3 3<<< $'12345678\n2468'
check "unblock with the PUK exits 0" test "$rc" = 0
check "unblock says so" grep -qx 'PIN unblocked, new PIN set (the PUK has 99 uses left).' "$T/out"
status_json
check "after unblock: 3 tries" field pin.tries_left 3
check "after unblock: not blocked" field pin.blocked False
check "after unblock: PUK uses 99" field puk.uses_left 99
check "after unblock: PUK tries back to 10" field puk.tries_left 10
pin verify --pin-fd 3 3<<< 2468
check "the new PIN verifies" test "$rc" = 0
pin change --pin-fd 3 3<<< $'2468\n1234'
check "back to 1234" test "$rc" = 0

# -- the Vitale has no PIN
pin status --reader "$R1"
check "Vitale: status exits 1" test "$rc" = 1
check "Vitale: no PIN" grep -qx "santecard pin: the card in '$R1' (carte Vitale 2) has no PIN" "$T/err"
pin verify --reader "$R1" --pin-fd 3 3<<< 1234
check "Vitale: verify exits 1" test "$rc" = 1
check "Vitale: verify says no PIN" grep -q 'has no PIN' "$T/err"
tb_card remove 0 > /dev/null
tb_wait_for sh -c "santecard status --reader '$R0' | grep -q 'Card:   absent'"
pin status
check "only a Vitale: exit 1" test "$rc" = 1
check "only a Vitale: no card with a PIN" grep -qx "santecard pin: no card with a PIN (the card in '$R1' is a carte Vitale 2, which has none)" "$T/err"
tb_card insert 0 > /dev/null
tb_wait_for santecard pin status --reader "$R0"

# -- command line
pin verify --pin-fd 9 9<&-
check "closed --pin-fd exits 2" test "$rc" = 2
check "closed --pin-fd: clear error" grep -qx 'santecard pin: --pin-fd 9: Bad file descriptor' "$T/err"
pin verify --pin-fd x
check "--pin-fd x exits 2" test "$rc" = 2
pin verify 1234
check "a PIN on the command line is refused (exit 2)" test "$rc" = 2
pin status --pin-fd 3 3<<< 1234
check "status --pin-fd exits 2" test "$rc" = 2
pin bogus
check "unknown subcommand exits 2" test "$rc" = 2
pin --help
check "pin --help exits 0" test "$rc" = 0
check "pin --help: the synopsis" grep -q '^Usage: santecard pin status' "$T/out"
santecard --help | grep -q '^  pin '
check "santecard --help lists pin" test $? = 0
pin verify --reader "$R0" < /dev/null
check "no terminal and no --pin-fd exits 2" test "$rc" = 2
check "no terminal: points to --pin-fd" grep -q 'no terminal.*--pin-fd' "$T/err"

# -- the terminal: prompts, no echo, confirmation, terminal restored on signals
check "terminal: prompts, echo off, restored" $PY - "$T" "$R0" <<'PYEOF'
import os, select, signal, sys, termios, time, fcntl
T, R0 = sys.argv[1], sys.argv[2]

def spawn(args):
    m, s = os.openpty()
    pid = os.fork()
    if pid == 0:
        os.setsid()
        fcntl.ioctl(s, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(s, fd)
        os.closerange(3, 256)
        os.execvp("santecard", ["santecard"] + args)
    return pid, m, s

def read_until(m, text, out, timeout=10):
    end = time.time() + timeout
    while text not in out[0]:
        r, _, _ = select.select([m], [], [], max(0, end - time.time()))
        if not r:
            raise AssertionError("no %r in %r" % (text, out[0]))
        out[0] += os.read(m, 4096).decode(errors="replace")

def echo_on(s):
    return bool(termios.tcgetattr(s)[3] & termios.ECHO)

def finish(pid, m, out, timeout=10):
    end = time.time() + timeout
    while True:
        p, st = os.waitpid(pid, os.WNOHANG)
        r, _, _ = select.select([m], [], [], 0.05)
        if r:
            out[0] += os.read(m, 4096).decode(errors="replace")
        if p:
            while select.select([m], [], [], 0.1)[0]:
                out[0] += os.read(m, 4096).decode(errors="replace")
            return st
        if time.time() > end:
            os.kill(pid, signal.SIGKILL)
            raise AssertionError("timeout: %r" % out[0])

def dialog(args, answers):
    pid, m, s = spawn(args)
    out = [""]
    offs = []
    for prompt, value in answers:
        read_until(m, prompt, out)
        assert not echo_on(s), "echo on at %r" % prompt
        os.write(m, value.encode() + b"\n")
    st = finish(pid, m, out)
    ok_echo = echo_on(s)
    os.close(m); os.close(s)
    open(T + "/all", "a").write(out[0])
    return st, out[0], ok_echo

# verify, typed
st, out, echo = dialog(["pin", "verify", "--reader", R0], [("PIN: ", "1234")])
assert os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0, (st, out)
assert "PIN verified." in out and "1234" not in out, out
assert echo, "echo not restored after verify"

# change: the confirmation differs -> exit 2, nothing sent
st, out, echo = dialog(["pin", "change", "--reader", R0],
                       [("Current PIN: ", "1234"), ("New PIN: ", "4321"), ("New PIN again: ", "4322")])
assert os.WEXITSTATUS(st) == 2 and "do not match" in out, (st, out)
assert "1234" not in out and "4321" not in out and "4322" not in out, out
assert echo

# change and back, typed with the confirmation
for a, b in (("1234", "7890"), ("7890", "1234")):
    st, out, echo = dialog(["pin", "change", "--reader", R0],
                           [("Current PIN: ", a), ("New PIN: ", b), ("New PIN again: ", b)])
    assert os.WEXITSTATUS(st) == 0 and "PIN changed." in out, (st, out)
    assert a not in out and b not in out and echo, out

# unblock prompts: a wrong PUK, then the right one
st, out, echo = dialog(["pin", "unblock", "--reader", R0],
                       [("PUK: ", "11112222"), ("New PIN: ", "1234"), ("New PIN again: ", "1234")])
assert os.WEXITSTATUS(st) == 5 and "wrong PUK, 9 tries left" in out, (st, out)
assert "11112222" not in out and "1234" not in out and echo, out
st, out, echo = dialog(["pin", "unblock", "--reader", R0],
                       [("PUK: ", "12345678"), ("New PIN: ", "1234"), ("New PIN again: ", "1234")])
assert os.WEXITSTATUS(st) == 0 and "PIN unblocked, new PIN set (the PUK has 98 uses left)." in out, (st, out)
assert "12345678" not in out and "1234" not in out and echo, out

# a signal at the prompt: the terminal is restored, the signal ends the process
for how in ("ctrl-c", signal.SIGTERM, signal.SIGHUP):
    pid, m, s = spawn(["pin", "verify", "--reader", R0])
    out = [""]
    read_until(m, "PIN: ", out)
    assert not echo_on(s)
    os.write(m, b"12")           # half typed
    if how == "ctrl-c":
        os.write(m, b"\x03")
        want = signal.SIGINT
    else:
        os.kill(pid, how)
        want = how
    st = finish(pid, m, out)
    assert os.WIFSIGNALED(st) and os.WTERMSIG(st) == want, (how, st, out)
    assert echo_on(s), "echo left off after %s" % how
    os.close(m); os.close(s)

# Ctrl-Z at the prompt: echo back on while stopped, off again after SIGCONT. A
# stop signal is discarded in an orphaned process group, so santecard runs as a
# job: the session leader forks it into its own foreground process group.
def spawn_job(args):
    m, s = os.openpty()
    rp, wp = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.setsid()
        fcntl.ioctl(s, termios.TIOCSCTTY, 0)
        go_r, go_w = os.pipe()
        gc = os.fork()
        if gc == 0:
            os.setpgid(0, 0)
            os.read(go_r, 1)          # until it is the foreground job
            for fd in (0, 1, 2):
                os.dup2(s, fd)
            os.closerange(3, 256)
            os.execvp("santecard", ["santecard"] + args)
        os.setpgid(gc, gc)
        os.tcsetpgrp(s, gc)
        os.write(go_w, b"x")
        os.write(wp, str(gc).encode())
        _, st = os.waitpid(gc, 0)
        os._exit(os.WEXITSTATUS(st) if os.WIFEXITED(st) else 128 + os.WTERMSIG(st))
    os.close(wp)
    gc = int(os.read(rp, 32))
    os.close(rp)
    return pid, gc, m, s

def state(pid):
    return open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[0]

def until(cond, what, timeout=5):
    end = time.time() + timeout
    while not cond():
        if time.time() > end:
            raise AssertionError(what)
        time.sleep(0.02)

pid, gc, m, s = spawn_job(["pin", "verify", "--reader", R0])
out = [""]
read_until(m, "PIN: ", out)
assert not echo_on(s)
os.kill(gc, signal.SIGTSTP)
until(lambda: state(gc) == "T", "not stopped by SIGTSTP")
assert echo_on(s), "echo off while stopped"
os.kill(gc, signal.SIGCONT)
until(lambda: not echo_on(s), "echo not off again after SIGCONT")
os.write(m, b"1234\n")
st = finish(pid, m, out)
assert os.WEXITSTATUS(st) == 0 and "PIN verified." in out[0] and "1234" not in out[0], (st, out)
assert echo_on(s)
os.close(m); os.close(s)
PYEOF
status_json
check "after the terminal tests: 3 tries" field pin.tries_left 3
check "after the terminal tests: PUK 10 tries (reset by the right PUK)" field puk.tries_left 10
check "after the terminal tests: PUK 98 uses" field puk.uses_left 98
pin verify --pin-fd 3 3<<< 1234
check "the PIN is 1234 at the end" test "$rc" = 0

# -- no PIN or PUK anywhere in what the tool printed
check "no PIN in the tool's output" sh -c "! grep -E '1234|4321|9876|1111|2468|5555|7890|8765' '$T/all'"

tb_summary
