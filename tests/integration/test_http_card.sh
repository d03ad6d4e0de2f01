#!/bin/bash
# HTTPS with the CPS's authentication key (src/tools/common/http.c through
# http_card_tool): openssl s_server asks for a client certificate from the test
# IGC-Santé CA (TLS 1.2), the request authenticates with the simulated
# cps-doctor's key through libp11's engine and our module, set up by the code
# (no openssl.cnf). Then the errors: wrong object, wrong PIN (one try used),
# server not trusted, nothing listening, no answer in time, body too big; PEM
# files as the client key; and the PIN in no log and no output.
here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$here/../..}"
export top_builddir
if [ -z "${TESTBED_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test bed needs root for its private namespaces"
		exit 77
	fi
	for t in openssl pkcs11-tool socat; do
		command -v $t > /dev/null || { echo "SKIP: $t not installed"; exit 77; }
	done
	exec "$here/testbed" --cards "cps-doctor none" "$here/$(basename "$0")"
fi
. "$here/lib.sh"
. "$here/../pkcs11/p11env.sh"
p11_need_module
T=$TESTBED_DIR
PKI=$SANTECARD_PKI_DIR
TOOL=$top_builddir/tests/integration/http_card_tool
R0='Virtual PCD 00 00'
PORT=8443
URL=https://127.0.0.1:$PORT/
export SANTECARD_PKCS11_MODULE=$P11_MODULE
not() { ! "$@"; }
[ -x "$TOOL" ] || { echo "no $TOOL (make check builds it)"; exit 1; }
[ -f "$PKI/ca/root.crt.pem" ] || { echo "no PKI in $PKI (make pki)"; exit 1; }
# Everything the tool prints goes to $T/all too, to look for the PIN at the end.
: > "$T/all"
# req NAME [--pin PIN] ARGS...: run the tool (the PIN through a descriptor);
# $rc is its status, $T/NAME.out and $T/NAME.err what it printed
req() {
	local name=$1
	shift
	if [ "$1" = --pin ]; then
		local pin=$2
		shift 2
		p11_run "$TOOL" --pin-fd 3 "$@" > "$T/$name.out" 2> "$T/$name.err" 3<<< "$pin"
	else
		p11_run "$TOOL" "$@" > "$T/$name.out" 2> "$T/$name.err"
	fi
	rc=$?
	cat "$T/$name.out" "$T/$name.err" >> "$T/all"
}
tries() { santecard pin status --reader "$R0" 2> /dev/null | sed -n 's/^PIN: *\([0-9]*\) of.*/\1/p'; }

# ------------------------------------------------------------- the servers
# A throwaway server CA and a certificate for 127.0.0.1.
cd "$T" || exit 1
openssl req -x509 -newkey rsa:2048 -nodes -keyout sca.key -out sca.pem -days 2 \
	-subj "/CN=santecard test server CA" 2> /dev/null
openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj "/CN=127.0.0.1" 2> /dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > srv.ext
openssl x509 -req -in srv.csr -CA sca.pem -CAkey sca.key -CAcreateserial -days 2 \
	-extfile srv.ext -out srv.pem 2> /dev/null
# another CA the client does not trust
openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem -days 2 \
	-subj "/CN=some other CA" 2> /dev/null
cat "$PKI/ca/root.crt.pem" "$PKI/ca/intermediate.crt.pem" > clientca.pem
openssl s_server -accept 127.0.0.1:$PORT -tls1_2 -Verify 1 -CAfile clientca.pem \
	-cert srv.pem -key srv.key -www > s_server.log 2>&1 &
srv=$!
# a server that accepts and never answers
socat TCP-LISTEN:8444,bind=127.0.0.1,reuseaddr,fork SYSTEM:'sleep 30' 2> /dev/null &
mute=$!
trap 'kill $srv $mute 2> /dev/null' EXIT
tb_wait_for bash -c "exec 3<> /dev/tcp/127.0.0.1/$PORT" ||
	{ echo "s_server did not start"; cat s_server.log; exit 1; }

# --------------------------------------------------------- the card's token
p11_run pkcs11-tool --module "$P11_MODULE" -L > "$T/L" 2>&1
label=$(sed -n 's/^ *token label *: *\(.*[^ ]\) *$/\1/p' "$T/L" | head -1)
serial=$(sed -n 's/^ *serial num *: *\([^ ]*\) *$/\1/p' "$T/L" | head -1)
echo "  token: '$label', serial $serial"
check "the card's token is there" test -n "$label" -a -n "$serial"
"$TOOL" --uris "$serial" "$label" > "$T/uris"
echo "  $(head -1 "$T/uris")"
check "--uris: the authentication certificate's URI, percent-encoded (RFC 7512)" \
	grep -q "^pkcs11:token=.*;serial=$serial;object=Certificat%20d%27Authentification%20CPS;type=cert$" "$T/uris"
check "--uris: the key's URI" grep -q ";object=CPS_PRIV_AUT;type=private$" "$T/uris"

# ------------------------------------------------------------ card: success
before=$(tries)
req ok --pin 1234 --ca sca.pem --token "$serial" "$label" --tls12 "$URL"
check "card key: HTTP 200 through TLS 1.2 with client authentication" \
	grep -qx 'rv=OK status=200' "$T/ok.out"
check "... the server saw the card's certificate (CN=899700012345)" \
	grep -q 'CN=899700012345' "$T/ok.out"
check "... the session was TLS 1.2" grep -q 'Protocol *: *TLSv1.2' "$T/ok.out"
check "... no PIN try used ($before -> $(tries))" test "$(tries)" = "$before" -a "$before" = 3
[ "$tb_failed" = 0 ] || cat "$T/ok.err"

# the token named by its label only, then by nothing (the only card)
req label --pin 1234 --ca sca.pem --token "" "$label" --tls12 "$URL"
check "card key, token named by its label only: HTTP 200" grep -qx 'rv=OK status=200' "$T/label.out"
req any --pin 1234 --ca sca.pem --card "pkcs11:object=Certificat%20d'Authentification%20CPS;type=cert" \
	"$P11_AUTH_KEY_URI" --tls12 "$URL"
check "card key, URIs without a token: HTTP 200" grep -qx 'rv=OK status=200' "$T/any.out"

# --------------------------------------------------------------- the errors
req noobj --pin 1234 --ca sca.pem --card "pkcs11:object=NO_SUCH_CERT;type=cert" \
	"$P11_AUTH_KEY_URI" --tls12 "$URL"
check "no such certificate on the card: HTTP_ERR_CLIENT_KEY" test $rc = 5
check "... the message names the URI" grep -q 'NO_SUCH_CERT' "$T/noobj.err"
req nokey --pin 1234 --ca sca.pem --card "$(head -1 "$T/uris")" \
	"pkcs11:object=NO_SUCH_KEY;type=private" --tls12 "$URL"
check "no such key on the card: HTTP_ERR_CLIENT_KEY" test $rc = 5
check "... the PIN was right: no try used" test "$(tries)" = 3

req badpin --pin 9999 --ca sca.pem --token "$serial" "$label" --tls12 "$URL"
check "wrong PIN: HTTP_ERR_CLIENT_KEY" test $rc = 5
check "... exactly one try used (3 -> $(tries))" test "$(tries)" = 2
req nopin --ca sca.pem --token "$serial" "$label" --tls12 "$URL"
check "no PIN on a reader without a keypad: HTTP_ERR_CLIENT_KEY, no prompt" test $rc = 5
check "... and no try used" test "$(tries)" = 2
req again --pin 1234 --ca sca.pem --token "$serial" "$label" --tls12 "$URL"
check "the right PIN again: HTTP 200, tries back to 3" \
	test "$(head -1 "$T/again.out")" = 'rv=OK status=200' -a "$(tries)" = 3

req untrusted --pin 1234 --ca other.pem --token "$serial" "$label" --tls12 "$URL"
check "server not trusted: HTTP_ERR_TLS" test $rc = 4
check "... curl says why" grep -q 'unable to get local issuer certificate' "$T/untrusted.err"
req refused --pin 1234 --ca sca.pem --token "$serial" "$label" --tls12 https://127.0.0.1:9/
check "nothing listening: HTTP_ERR_CONNECT" test $rc = 2
req slow --ca sca.pem --timeout 700 https://127.0.0.1:8444/
check "no answer in time: HTTP_ERR_TIMEOUT" test $rc = 3
req big --pin 1234 --ca sca.pem --token "$serial" "$label" --tls12 --max-body 100 "$URL"
check "body over --max-body: HTTP_ERR_TOO_BIG" test $rc = 6
req badurl --ca sca.pem "ftp://127.0.0.1/"
check "a URL that is not http(s): HTTP_ERR_USAGE" test $rc = 1

# ------------------------------------------------------------ files as key
req files --ca sca.pem --files "$PKI/cps-doctor/auth.crt.pem" "$PKI/cps-doctor/auth.key.pem" \
	--tls12 "$URL"
check "PEM files as the client key: HTTP 200, CN=899700012345" \
	grep -q 'CN=899700012345' "$T/files.out"
req nofile --ca sca.pem --files "$T/none.pem" "$PKI/cps-doctor/auth.key.pem" "$URL"
check "missing certificate file: HTTP_ERR_CLIENT_KEY" test $rc = 5
req nocert --ca sca.pem "$URL"
check "no client certificate: the server refuses the handshake (HTTP_ERR_TLS)" test $rc = 4

# ------------------------------------------------------------- the PIN's traces
sleep 0.2 # pcscd's log is written asynchronously
check "the PIN (1234, 9999) never in the tool's output" \
	not grep -Eq '(^|[^0-9])(1234|9999)([^0-9]|$)' "$T/all"
check "... nor as text in pcscd's log" \
	not grep -Eq '(^|[^0-9])(1234|9999)([^0-9]|$)' "$TESTBED_PCSCD_LOG"
check "... nor in the server's log" not grep -Eq '(^|[^0-9])(1234|9999)([^0-9]|$)' s_server.log
tb_summary
