#!/bin/bash
# HTTPS with the CPS's authentication key on a keypad reader (ifd_pinpad.so, see
# test_p11_pinpad.sh): http_do() with no PIN lets libp11 log in with a NULL PIN
# (CKF_PROTECTED_AUTHENTICATION_PATH), the PIN is typed on the reader and never
# crosses pcscd; Cancel on the keypad is HTTP_ERR_CLIENT_KEY.
here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$here/../..}"
export top_builddir
if [ -z "${TESTBED_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test bed needs root for its private namespaces"
		exit 77
	fi
	command -v openssl > /dev/null || { echo "SKIP: openssl not installed"; exit 77; }
	wrapper="$top_builddir/tests/integration/.libs/ifd_pinpad.so"
	[ -f "$wrapper" ] || { echo "no $wrapper (make check builds it)"; exit 1; }
	keys=$(mktemp /tmp/santecard-http-keypad.XXXXXX)
	STC_PINPAD_INNER="${VPCD_DRIVER:-/usr/lib/pcsc/drivers/serial/libifdvpcd.so}" \
		STC_PINPAD_KEYS="$keys" VPCD_DRIVER="$wrapper" \
		"$here/testbed" --cards "cps-doctor none" "$here/$(basename "$0")"
	rc=$?
	rm -f "$keys"
	exit $rc
fi
. "$here/lib.sh"
. "$here/../pkcs11/p11env.sh"
p11_need_module
T=$TESTBED_DIR
PKI=$SANTECARD_PKI_DIR
TOOL=$top_builddir/tests/integration/http_card_tool
PORT=8443
export SANTECARD_PKCS11_MODULE=$P11_MODULE
not() { ! "$@"; }
keypad() { printf '%s\n' "$*" > "$STC_PINPAD_KEYS"; }
[ -x "$TOOL" ] || { echo "no $TOOL (make check builds it)"; exit 1; }

cd "$T" || exit 1
openssl req -x509 -newkey rsa:2048 -nodes -keyout srv.key -out srv.pem -days 2 \
	-subj "/CN=127.0.0.1" -addext subjectAltName=IP:127.0.0.1 2> /dev/null
cat "$PKI/ca/root.crt.pem" "$PKI/ca/intermediate.crt.pem" > clientca.pem
openssl s_server -accept 127.0.0.1:$PORT -tls1_2 -Verify 1 -verify_return_error -CAfile clientca.pem \
	-cert srv.pem -key srv.key -www > s_server.log 2>&1 &
srv=$!
trap 'kill $srv 2> /dev/null' EXIT
tb_wait_for bash -c "exec 3<> /dev/tcp/127.0.0.1/$PORT" ||
	{ echo "s_server did not start"; cat s_server.log; exit 1; }
URIS=("pkcs11:object=Certificat%20d'Authentification%20CPS;type=cert" "$P11_AUTH_KEY_URI")

keypad 1234
p11_run "$TOOL" --ca srv.pem --card "${URIS[@]}" --tls12 "https://127.0.0.1:$PORT/" \
	> out 2> err < /dev/null
rc=$?
check "no PIN, keypad reader: HTTP 200 (the PIN typed on the reader)" \
	grep -qx 'rv=OK status=200' out
check "... the server saw the card's certificate" grep -q 'CN=899700012345' out
sleep 0.2 # pcscd's log is written asynchronously
check "... the PIN never crossed pcscd" \
	not grep -q "APDU: 00 20 00 01 04 31 32 33 34" "$TESTBED_PCSCD_LOG"
[ "$tb_failed" = 0 ] || { echo "rc=$rc"; cat err; }

keypad cancel
p11_run "$TOOL" --ca srv.pem --card "${URIS[@]}" --tls12 "https://127.0.0.1:$PORT/" \
	> out 2> err < /dev/null
check "Cancel on the keypad: HTTP_ERR_CLIENT_KEY" test $? = 5
cat err
tb_summary
