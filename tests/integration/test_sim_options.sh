#!/bin/bash
# santecard-sim's --timing realistic and --trace, through the real pcscd, and a
# card pulled in the middle of a (slow) command.
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${TESTBED_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test bed needs root for its private namespaces"
		exit 77
	fi
	export TESTBED_SIM_ARGS="--timing realistic --trace /tmp/santecard-sim-trace.$$"
	rm -f "/tmp/santecard-sim-trace.$$"
	"$here/testbed" "$here/$(basename "$0")" "/tmp/santecard-sim-trace.$$"
	rc=$?
	rm -f "/tmp/santecard-sim-trace.$$"
	exit $rc
fi
. "$here/lib.sh"
trace=$1
rtt=$top_builddir/bench/apdu_rtt
out=$TESTBED_DIR/out

# The test card's ATR has no TA1: 9 600 bit/s, 12 etu a character in T=0.
# GET DATA 80 CA 01 00 14: 5 + 1 + 20 + 2 = 28 characters = 35 ms, + 1 ms card OS.
"$rtt" --count 5 --apdu 80CA010014 --json > "$out"
check "realistic timing: an exchange takes at least the wire time" /usr/bin/python3 - "$out" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["p50_ms"] >= 35.0, d
PYEOF

# --trace has every APDU, with the PIN of a VERIFY masked
"$rtt" --count 1 --apdu 002000010431323334 > /dev/null
check "trace has the command" grep -q 'C> 80 CA 01 00 14$' "$trace"
check "trace has the answer" grep -q 'R< 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 11 12 13 90 00$' "$trace"
check "trace masks the PIN" grep -q 'C> 00 20 00 01 04 \[4 bytes masked\]' "$trace"
check "trace never shows it" sh -c "! grep -q '31 32 33 34' '$trace'"

# Pulled mid-command: GET CHALLENGE of 256 bytes takes ~330 ms at 9 600 bit/s.
"$rtt" --count 20 --apdu 0084000000 > "$out" 2>&1 &
r=$!
sleep 1
tb_card remove 0 > /dev/null
wait $r
check "pulled mid-command: the transmit fails" test $? = 1
check "pulled mid-command: the card is reported removed" grep -q 'the card was removed' "$out"
check "the pulled command left no answer in the trace" grep -q 'card pulled, no answer' "$trace"
tb_card insert 0 > /dev/null

tb_summary
