#!/bin/bash
# santecard-pkcs11.so on keypad readers, through the real pcscd: the test bed's
# readers are served by tests/integration/ifd_pinpad.so (Debian's vpcd driver
# plus PC/SC part 10 FEATURE_VERIFY/MODIFY_PIN_DIRECT and a scripted keypad:
# $STC_PINPAD_KEYS). pkcs11-tool sees the protected authentication path and
# signs with the PIN typed on the keypad (openssl verifies); then the Check
# suite check_p11_pinpad (every keypad outcome's CKR, C_SetPIN).
here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$here/../..}"
export top_builddir
if [ -z "${TESTBED_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test bed needs root for its private namespaces"
		exit 77
	fi
	for t in pkcs11-tool openssl; do
		command -v $t > /dev/null || { echo "SKIP: $t not installed"; exit 77; }
	done
	wrapper="$top_builddir/tests/integration/.libs/ifd_pinpad.so"
	[ -f "$wrapper" ] || { echo "no $wrapper (make check builds it)"; exit 1; }
	keys=$(mktemp /tmp/santecard-p11-keypad.XXXXXX)
	STC_PINPAD_INNER="${VPCD_DRIVER:-/usr/lib/pcsc/drivers/serial/libifdvpcd.so}" \
		STC_PINPAD_KEYS="$keys" VPCD_DRIVER="$wrapper" \
		"$here/testbed" --cards "cps-doctor cps-doctor,contactless" "$here/$(basename "$0")"
	rc=$?
	rm -f "$keys"
	exit $rc
fi
. "$here/lib.sh"
MOD=$top_builddir/pkcs11/.libs/santecard-pkcs11.so
AUT=e828bd080f8025000001ff001002
T=$TESTBED_DIR
client=()
if ldd "$MOD" | grep -q libasan; then
	client=(env "LD_PRELOAD=$(gcc -print-file-name=libasan.so)" ASAN_OPTIONS=detect_leaks=0)
fi
p11() { "${client[@]}" pkcs11-tool --module "$MOD" "$@" < /dev/null; }
not() { ! "$@"; }
keypad() { printf '%s\n' "$*" > "$STC_PINPAD_KEYS"; }

[ -f "$MOD" ] || { echo "no module $MOD (make)"; exit 1; }

p11 -T > "$T/T" 2>&1
check "-T: the CPS3 token has a PIN pad (CKF_PROTECTED_AUTHENTICATION_PATH)" \
	grep -q "token flags *: login required, PIN pad present, rng, token initialized, PIN initialized$" "$T/T"
check "-T: the contactless CPS (no PIN) has none" \
	test "$(grep -c 'PIN pad present' "$T/T")" = 1

p11 --read-object --type cert --id $AUT -o "$T/auth.der" > /dev/null 2>&1
openssl x509 -inform DER -in "$T/auth.der" -pubkey -noout > "$T/auth.pub"
printf 'signed on a keypad' > "$T/msg"
keypad 1234
p11 --login --sign -m SHA256-RSA-PKCS --id $AUT -i "$T/msg" -o "$T/sig" > "$T/out" 2>&1
check "--login --sign without --pin: signed through the keypad" test $? = 0
check "... pkcs11-tool asked for no PIN on the terminal" not grep -qi "enter.*pin" "$T/out"
check "... openssl verifies the signature" \
	openssl dgst -sha256 -verify "$T/auth.pub" -signature "$T/sig" "$T/msg"
check "... the PIN never crossed pcscd (the reader inserted it)" \
	not grep -q "APDU: 00 20 00 01 04 31 32 33 34" "$TESTBED_PCSCD_LOG"
keypad cancel
rm -f "$T/sig"
p11 --login --sign -m SHA256-RSA-PKCS --id $AUT -i "$T/msg" -o "$T/sig" > "$T/out" 2>&1
check "Cancel on the keypad: pkcs11-tool fails" test $? != 0
check "... with CKR_FUNCTION_CANCELED, no signature" grep -q CKR_FUNCTION_CANCELED "$T/out"
keypad 1234
p11 --login --pin 1234 -O > "$T/O" 2>&1
check "--pin given on a keypad reader: the host's entry still works" \
	grep -q "label: *CPS_PRIV_SIG" "$T/O"
sleep 0.2   # pcscd's log is written asynchronously
check "... whose VERIFY does cross pcscd (so the check above can see one)" \
	grep -q "APDU: 00 20 00 01 04 31 32 33 34" "$TESTBED_PCSCD_LOG"

"$top_builddir/tests/integration/check_p11_pinpad" > "$T/check" 2>&1
check "check_p11_pinpad: every keypad CKR" test $? = 0
cat "$T/check"

tb_summary
