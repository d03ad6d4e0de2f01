#!/bin/bash
# PIN entry on a reader's keypad through the real pcscd: the test bed's readers
# are served by tests/integration/ifd_pinpad.so (an IFD handler that passes
# everything to Debian's vpcd driver and adds PC/SC part 10 FEATURE_VERIFY /
# MODIFY_PIN_DIRECT, with a scripted keypad: $STC_PINPAD_KEYS). The token layer
# builds the PIN_VERIFY / PIN_MODIFY structures from the CPS3's AODF, the
# "reader" fills the digits in and the simulated card checks them.
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${TESTBED_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test bed needs root for its private namespaces"
		exit 77
	fi
	wrapper="$top_builddir/tests/integration/.libs/ifd_pinpad.so"
	[ -f "$wrapper" ] || { echo "no $wrapper (make check builds it)"; exit 1; }
	keys=$(mktemp /tmp/santecard-keypad.XXXXXX)
	trace=$(mktemp /tmp/santecard-keypad-trace.XXXXXX)
	STC_PINPAD_INNER="$VPCD_DRIVER" STC_PINPAD_KEYS="$keys" VPCD_DRIVER="$wrapper" \
		TESTBED_SIM_ARGS="--trace $trace" \
		"$here/testbed" --cards "cps-doctor cps-doctor,contactless" "$here/$(basename "$0")" "$trace"
	rc=$?
	rm -f "$keys" "$trace"*
	exit $rc
fi
. "$here/lib.sh"
T=$TESTBED_DIR
trace=$1
TOOL="$top_builddir/tests/integration/cps_token_tool"
R0='Virtual PCD 00 00'
R1='Virtual PCD 00 01'
keypad() { printf '%s\n' "$*" > "$STC_PINPAD_KEYS"; }
run() { "$TOOL" "$R0" "$@" 2>&1; }

check "the reader offers verify and modify on its keypad" test "$(run keypad)" = 'keypad: STC_OK 1 1'

keypad 1234
check "the right PIN typed on the keypad verifies" test "$(run kverify pininfo)" = \
	"$(printf 'kverify: STC_OK -1\npininfo: tries 3/3 uses -1 verified 1 blocked 0 len 4-8')"
check "the card got VERIFY 00 20 00 01 04 + the 4 typed digits (masked in the trace)" \
	grep -q '> 00 20 00 01 04 \[4 bytes masked\]' "$trace"
tb_card remove 0 > /dev/null; tb_card insert 0 > /dev/null; tb_wait_for "$TOOL" "$R0" objects

keypad 1235
check "a wrong PIN: 2 tries left" test "$(run kverify)" = 'kverify: STC_ERR_PIN_INCORRECT 2'
keypad cancel
check "Cancel on the keypad: STC_ERR_CANCELLED, the card's counter untouched" test "$(run kverify pininfo)" = \
	"$(printf 'kverify: STC_ERR_CANCELLED -1\npininfo: tries 2/3 uses -1 verified 0 blocked 0 len 4-8')"
keypad timeout
check "nobody types: STC_ERR_TIMEOUT" test "$(run kverify)" = 'kverify: STC_ERR_TIMEOUT -1'
keypad 12
check "3 digits short of the AODF's minimum: the reader refuses (STC_ERR_INVALID_ARGS)" \
	test "$(run kverify pininfo)" = \
	"$(printf 'kverify: STC_ERR_INVALID_ARGS -1\npininfo: tries 2/3 uses -1 verified 0 blocked 0 len 4-8')"

keypad 1234 5678 5678
check "change on the keypad: not for the CPS3's unpadded PIN (no fixed offsets)" \
	test "$(run kchange verify:1234)" = "$(printf 'kchange: STC_ERR_NOT_SUPPORTED -1\nverify: STC_OK -1')"

check "contactless CPS: no PIN, so no keypad entry" test "$("$TOOL" "$R1" kverify)" = \
	'kverify: STC_ERR_NOT_SUPPORTED -1'

# -- santecard pin: the keypad by default, --no-pinpad for the terminal / --pin-fd
tb_card remove 0 > /dev/null; tb_card insert 0 > /dev/null; tb_wait_for "$TOOL" "$R0" objects
santecard pin status --reader "$R0" > "$T/st"
check "santecard pin status: Keypad: yes (verify, change)" grep -qx 'Keypad: yes (verify, change)' "$T/st"
santecard pin status --reader "$R0" --json > "$T/st.json"
check "santecard pin status --json: keypad" grep -q '"keypad":{"verify":true,"change":true}' "$T/st.json"
keypad 1234
santecard pin verify --reader "$R0" < /dev/null > "$T/v" 2>&1
check "santecard pin verify uses the keypad (exit 0)" test $? = 0
check "santecard pin verify: says where to type" grep -q "reader's keypad" "$T/v"
keypad cancel
santecard pin verify --reader "$R0" --pinpad > "$T/c" 2>&1
check "santecard pin verify --pinpad, cancelled: exit 1" test $? = 1
check "santecard pin verify: cancelled, nothing sent" grep -q 'cancelled on the keypad' "$T/c"
keypad timeout
santecard pin verify --reader "$R0" --no-pinpad --pin-fd 3 3<<< 1234 > "$T/h" 2>&1
check "--no-pinpad --pin-fd: the host's entry, the keypad not asked" test $? = 0
santecard pin verify --reader "$R0" --pinpad --pin-fd 3 3<<< 1234 > "$T/u" 2>&1
check "--pinpad with --pin-fd is a usage error (2)" test $? = 2
santecard pin change --reader "$R0" --pinpad > "$T/cp" 2>&1
check "santecard pin change --pinpad: the keypad cannot, exit 1" test $? = 1
check "santecard pin change --pinpad: says why" grep -q 'no fixed PIN block' "$T/cp"
santecard pin change --reader "$R0" --pin-fd 3 3<<< "$(printf '1234\n5678')" > "$T/ch" 2>&1 &&
	santecard pin change --reader "$R0" --pin-fd 3 3<<< "$(printf '5678\n1234')" >> "$T/ch" 2>&1
check "santecard pin change --pin-fd on a keypad reader: host entry, changed and back" test $? = 0

tb_summary
