#!/bin/bash
# `santecard status` against the private test bed: human and JSON output, --wait
# events (card moves, pcscd restart), exit codes.
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${TESTBED_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test bed needs root for its private namespaces"
		exit 77
	fi
	exec "$here/testbed" "$here/$(basename "$0")"
fi
. "$here/lib.sh"
PY=/usr/bin/python3
out=$TESTBED_DIR/out

# -- human output
santecard status > "$out"
check "status exits 0" test $? = 0
check "reader 0 listed" grep -qx 'Reader 0: Virtual PCD 00 00' "$out"
check "reader 1 listed" grep -qx 'Reader 1: Virtual PCD 00 01' "$out"
check "card present in reader 0" grep -qx '  Card:   present' "$out"
check "reader 1 empty" grep -qx '  Card:   absent' "$out"
check "ATR shown" grep -qx '  ATR:    3B 09 80 57 53 54 43 54 45 53 54' "$out"
check "ATR decoded" grep -q 'T=0, direct convention' "$out"
check "card identified" grep -qx '  Type:   santecard-sim test card' "$out"

# -- JSON output
santecard status --json > "$out"
check "json exits 0" test $? = 0
check "json schema" $PY - "$out" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
r = d["readers"]
assert [x["name"] for x in r] == ["Virtual PCD 00 00", "Virtual PCD 00 01"], r
assert r[0]["card_present"] is True and r[1]["card_present"] is False
assert r[0]["atr"] == "3B09805753544354455354", r[0]["atr"]
assert r[0]["atr_info"]["protocols"] == ["T=0"], r[0]["atr_info"]
assert r[0]["atr_info"]["valid"] is True
assert r[0]["card_type"] == "sim-test" and r[0]["card_name"] == "santecard-sim test card", r[0]
assert r[0]["atr_info"]["historical_bytes"] == "805753544354455354"
assert "atr" not in r[1]
PYEOF

# -- --reader
santecard status --reader 'Virtual PCD 00 01' > "$out"
check "--reader filters" test "$(grep -c '^Reader' "$out")" = 1
santecard status --reader 'Nope' > /dev/null 2>&1
check "--reader unknown exits 1" test $? = 1

# -- --wait: one event, then exit
n=$(tb_waits)
santecard status --wait --timeout 5 > "$out" &
w=$!
tb_watcher_ready "$n"
tb_card remove 0 > /dev/null
wait $w
check "--wait exits 0 on an event" test $? = 0
check "--wait reports the removal" grep -qx 'card-removed: Virtual PCD 00 00' "$out"
n=$(tb_waits)
santecard status --wait --json --timeout 5 > "$out" &
w=$!
tb_watcher_ready "$n"
tb_card insert 0 > /dev/null
wait $w
check "--wait --json reports the insertion" grep -qx '{"event":"card-inserted","reader":"Virtual PCD 00 00","atr":"3B09805753544354455354"}' "$out"
santecard status --wait --timeout 0.3 > /dev/null 2>&1
check "--wait --timeout exits 3" test $? = 3

# -- --follow through a pcscd restart: reader events
n=$(tb_waits)
santecard status --wait --follow --json > "$out" &
w=$!
tb_watcher_ready "$n"
tb_pcscd stop
santecard status > /dev/null 2> "$TESTBED_DIR/err"
check "no pcscd exits 4" test $? = 4
check "no pcscd says so" grep -q 'pcscd' "$TESTBED_DIR/err"
tb_pcscd start
tb_wait_for grep -q '"card-inserted"' "$out"
kill $w; wait $w 2>/dev/null
check "restart events in order" $PY - "$out" <<'PYEOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
kinds = [(e["event"], e.get("reader")) for e in ev]
R0, R1 = "Virtual PCD 00 00", "Virtual PCD 00 01"
# going down: exactly this
assert kinds[:4] == [("service-lost", None), ("card-removed", R0),
                     ("reader-removed", R0), ("reader-removed", R1)], kinds
# coming back: service-back first; the card may already be in when the readers
# are listed again, or arrive later, but never before its reader
assert kinds[4] == ("service-back", None), kinds
rest = kinds[5:]
assert ("reader-added", R0) in rest and ("reader-added", R1) in rest, kinds
assert ("card-inserted", R0) in rest, kinds
assert rest.index(("reader-added", R0)) < rest.index(("card-inserted", R0)), kinds
assert len(rest) == 3, kinds
PYEOF

# -- santecard apdu: T=0 handling by default, raw on demand
santecard apdu 80CA010000 > "$out"
check "apdu follows 6Cxx" grep -qx '< 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 11 12 13 90 00  (9000: success)' "$out"
santecard apdu --raw 80CA010000 > "$out"
check "apdu --raw shows the 6Cxx" grep -qx '< 6C 14  (6Cxx: wrong Le, xx bytes available)' "$out"
santecard apdu --json 00A4040C08F053544354455354 > "$out"
check "apdu --json" grep -qx '{"command":"00A4040C08F053544354455354","response":"","sw":"9000","meaning":"9000: success"}' "$out"
santecard apdu 00A4 > /dev/null 2>&1
check "apdu: too short exits 2" test $? = 2
santecard apdu 00A4040C05F0 > /dev/null 2>&1
check "apdu: inconsistent Lc exits 2" test $? = 2
santecard apdu zz > /dev/null 2>&1
check "apdu: bad hex exits 2" test $? = 2
santecard apdu --reader 'Virtual PCD 00 01' 00A4040C08F053544354455354 > /dev/null 2>&1
check "apdu: empty reader exits 1" test $? = 1

# -- usage
santecard status --bogus > /dev/null 2>&1
check "bad option exits 2" test $? = 2
santecard bogus > /dev/null 2>&1
check "bad command exits 2" test $? = 2
santecard status --timeout 1 > /dev/null 2>&1
check "--timeout without --wait exits 2" test $? = 2
santecard --help | grep -q '^  status'
check "--help lists status" test $? = 0

tb_summary
