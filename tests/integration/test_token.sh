#!/bin/bash
# The token layer through the real pcscd: recognition and the carte Vitale read
# sequence on the simulated cards, as `santecard status` shows them.
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${TESTBED_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test bed needs root for its private namespaces"
		exit 77
	fi
	exec "$here/testbed" --cards "vitale-family vitale-single" "$here/$(basename "$0")"
fi
. "$here/lib.sh"
out=$TESTBED_DIR/out

santecard status > "$out"
check "status reads the family card" grep -qx '  Vitale: 3 beneficiaries' "$out"
check "and the single card" grep -qx '  Vitale: 1 beneficiary' "$out"
check "no personal data in the status" sh -c "! grep -qi 'PIERRE\|MARTIN' '$out'"
santecard status --json > "$out"
check "json: beneficiaries counted" /usr/bin/python3 - "$out" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))["readers"]
assert [(x["card_type"], x["recognised"], x["beneficiaries"]) for x in r] == \
       [("vitale2", True, 3), ("vitale2", True, 1)], r
PYEOF

# the Vitale read is 8 APDUs on the simulator: 4 commands, each followed by a
# GET RESPONSE (61xx) or a repeat with the right Le (6Cxx), as T=0 wants
n0=$(grep -c ' APDU: ' "$TESTBED_PCSCD_LOG" || true)
santecard status --reader 'Virtual PCD 00 01' > /dev/null
n1=$(grep -c ' APDU: ' "$TESTBED_PCSCD_LOG" || true)
check "Vitale identity read in 8 APDUs" test $((n1 - n0)) = 8 || echo "  (saw $((n1 - n0)))"

# a card pulled: status says the reader is empty, no error
tb_card remove 1 > /dev/null
tb_wait_for sh -c "santecard status --reader 'Virtual PCD 00 01' | grep -q absent"
santecard status --reader 'Virtual PCD 00 01' > "$out"
check "pulled card: absent" grep -qx '  Card:   absent' "$out"
tb_card insert 1 > /dev/null

tb_summary
