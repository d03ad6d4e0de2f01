#!/bin/bash
# test_psc_standin.sh - the Pro Santé Connect stand-in on its own, with curl and
# openssl only (npm jose for the ID token signature), independently of santecard-psc:
# discovery (both names, --no-wallet-discovery), CIBA with the e-CPS phone (approve,
# deny, wrong code, ignore -> expired_token, slow_down, bad binding message), ID token
# checked against the JWKS, certificate-bound access token (userinfo without the
# certificate: 401), refresh token rotation, access token expiry, the secret client,
# CIBA channel=CARD with the cards' authentication certificates, the card-login
# listener (TLS 1.2, certificate required) and the authorization code flow with PKCE
# through the card login. Runs in private net/PID namespaces (loopback only); needs
# root, curl, openssl, python3, Node.js + npm (the stand-in's packages: SKIP without).
# SANTECARD_TESTS=quick (./quickstart's sanitizer and distcheck passes): skipped, no
# C code runs here; the main make check runs it.
if [ "${SANTECARD_TESTS:-}" = quick ]; then
	echo "SKIP: SANTECARD_TESTS=quick: the PSC stand-in's test is in the main make check"
	exit 77
fi
here=$(cd "$(dirname "$0")" && pwd)
self="$here/$(basename "$0")"
[ -n "${top_builddir:-}" ] || top_builddir=$(cd "$here/../../.." && pwd)
export top_builddir
: "${SANTECARD_PKI_DIR:=$top_builddir/pki}"
export SANTECARD_PKI_DIR
if [ -z "${PSC_TEST_INNER:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test needs root for its private network namespace"
		exit 77
	fi
	for t in curl openssl python3 unshare; do
		command -v $t > /dev/null || { echo "SKIP: $t not installed"; exit 77; }
	done
	[ -s "$SANTECARD_PKI_DIR/ca/root.key.pem" ] || { echo "FAIL: no test PKI in $SANTECARD_PKI_DIR (make pki)"; exit 1; }
	"$here/start" --install
	rc=$?
	[ $rc = 77 ] && { echo "SKIP: the PSC stand-in's npm packages cannot be installed"; exit 77; }
	[ $rc = 0 ] || exit 1
	export PSC_TEST_INNER=1
	exec unshare --mount --propagation private --net --pid --fork --mount-proc "$self" "$@"
fi
. "$here/../../integration/lib.sh"
ip link set lo up || { echo "FAIL: cannot bring loopback up"; exit 1; }
T=$(mktemp -d /tmp/psc-standin.XXXXXX)
A=$T/a B=$T/b
cleanup() {
	"$here/stop" "$A"
	"$here/stop" "$B"
	"$here/stop" "$T/c"
	if [ "$tb_failed" = 0 ] && [ -z "${TESTBED_KEEP:-}" ]; then rm -rf "$T"; else echo "logs kept in $T"; fi
}
trap cleanup EXIT
PKI=$SANTECARD_PKI_DIR
DOC=$PKI/cps-doctor PHARMA=$PKI/cps-pharmacist
CIBA=urn:openid:params:grant-type:ciba

# jv FILE EXPR: print a Python expression over the JSON in FILE (d); jt: its truth.
jv() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval("(" + sys.argv[2] + ")", {"d": d}))' "$1" "$2" 2>/dev/null; }
jt() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval("(" + sys.argv[2] + ")", {"d": d}) else 1)' "$1" "$2" 2>/dev/null; }
# events NAME: the events.log lines of that event (current stand-in)
events() { grep "\"event\":\"$1\"" "$PSC_EVENTS"; }
# shellcheck disable=SC1091
use() { . "$1/env"; MTLS=(--cacert "$PSC_CA" --cert "$PSC_CLIENT_CERT" --key "$PSC_CLIENT_KEY" -d client_id="$PSC_CLIENT_MTLS_ID")
	SECRET=(--cacert "$PSC_CA" -u "$PSC_CLIENT_SECRET_ID:$(cat "$PSC_CLIENT_SECRET_FILE")"); }
# ciba OUT CLIENT-ARGS... FORM-ARGS...: a backchannel request; HTTP status in OUT.status
ciba() {
	local out=$1
	shift
	curl -sS -o "$out" -w '%{http_code}' "$@" "$PSC_ISSUER/protocol/openid-connect/ext/ciba/auth" > "$out.status"
}
# poll OUT ID CLIENT-ARGS...: poll the token endpoint every 1.05 s until the answer
# is not authorization_pending (30 polls at most)
poll() {
	local out=$1 id=$2
	shift 2
	for _ in $(seq 30); do
		sleep 1.05
		curl -sS -o "$out" -w '%{http_code}' "$@" -d grant_type=$CIBA -d auth_req_id="$id" \
			"$PSC_ISSUER/protocol/openid-connect/token" > "$out.status"
		grep -q '"authorization_pending"' "$out" || return 0
	done
	return 1
}
# idtoken TOKENS.json AUD OUT: verify the ID token with the JWKS (jose) into OUT
idtoken() {
	jv "$1" 'd["id_token"]' | node "$PSC_NODE_DIR/verify-jwt.mjs" "$T/jwks.json" "$PSC_ISSUER" "$2" > "$3"
}
std() { [ "$(cat "$1.status")" = "$2" ]; }
thumb() { openssl x509 -in "$1" -outform DER | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=\n'; }

echo "# start"
check "start A (defaults)" "$here/start" "$A"
check "start B (--no-wallet-discovery --ciba-ttl 3)" "$here/start" "$B" --no-wallet-discovery --ciba-ttl 3
check "start C (--card-auto --access-ttl 5)" "$here/start" "$T/c" --card-auto --access-ttl 5
use "$A"
check "  env: issuer is https://localhost:PORT/auth/realms/esante-wallet" \
	test "$PSC_ISSUER" = "https://localhost:$PSC_PORT/auth/realms/esante-wallet"
check "  env: client ids, files" test "$PSC_CLIENT_MTLS_ID" = santecard-psc-mtls -a \
	"$PSC_CLIENT_SECRET_ID" = santecard-psc-secret -a -s "$PSC_CLIENT_CERT" -a -s "$PSC_CLIENT_KEY" -a \
	-s "$PSC_CA" -a "$(cat "$PSC_CLIENT_SECRET_FILE")" = "$PSC_CLIENT_SECRET" -a "$PSC_EVENTS" = "$A/events.log"
check "  env: the server runs" kill -0 "$PSC_PID"
check "  structure certificate chains to the test IGC-Santé" \
	openssl verify -CAfile "$PKI/ca/root.crt.pem" -untrusted "$PSC_CLIENT_CERT" "$PSC_CLIENT_CERT"
check "  server certificate for localhost and 127.0.0.1" \
	openssl verify -CAfile "$PSC_CA" -verify_hostname localhost -verify_ip 127.0.0.1 "$A/server.crt.pem"

echo "# discovery"
curl -sS --cacert "$PSC_CA" -o "$T/wallet.json" -w '%{http_code}' "$PSC_DISCOVERY" > "$T/wallet.json.status"
curl -sS --cacert "$PSC_CA" -o "$T/std.json" "$PSC_ISSUER/.well-known/openid-configuration"
check "wallet-openid-configuration: 200, issuer" jt "$T/wallet.json" "d['issuer'] == '$PSC_ISSUER'"
check "  Keycloak paths under the issuer" jt "$T/wallet.json" "
	d['token_endpoint'] == '$PSC_ISSUER/protocol/openid-connect/token' and
	d['userinfo_endpoint'] == '$PSC_ISSUER/protocol/openid-connect/userinfo' and
	d['jwks_uri'] == '$PSC_ISSUER/protocol/openid-connect/certs' and
	d['introspection_endpoint'] == '$PSC_ISSUER/protocol/openid-connect/token/introspect' and
	d['end_session_endpoint'] == '$PSC_ISSUER/protocol/openid-connect/logout' and
	d['backchannel_authentication_endpoint'] == '$PSC_ISSUER/protocol/openid-connect/ext/ciba/auth'"
check "  authorization endpoint on the wallet listener" jt "$T/wallet.json" \
	"d['authorization_endpoint'] == 'https://localhost:$PSC_WALLET_PORT/auth/realms/esante-wallet/protocol/openid-connect/auth'"
check "  CIBA poll, tls_client_auth, bound tokens, RS256, S256, scopes, acr" jt "$T/wallet.json" "
	d['backchannel_token_delivery_modes_supported'] == ['poll'] and
	'urn:openid:params:grant-type:ciba' in d['grant_types_supported'] and
	'tls_client_auth' in d['token_endpoint_auth_methods_supported'] and
	'client_secret_basic' in d['token_endpoint_auth_methods_supported'] and
	d['tls_client_certificate_bound_access_tokens'] is True and
	d['id_token_signing_alg_values_supported'] == ['RS256'] and
	d['code_challenge_methods_supported'] == ['S256'] and
	{'openid', 'scope_all', 'offline_access'} <= set(d['scopes_supported']) and
	{'eidas1', 'eidas2', 'eidas3'} <= set(d['acr_values_supported'])"
check "openid-configuration: the same document" cmp -s "$T/wallet.json" "$T/std.json"
curl -sS --cacert "$PSC_CA" -o "$T/jwks.json" "$PSC_ISSUER/protocol/openid-connect/certs"
check "JWKS: one RS256 signing key" jt "$T/jwks.json" \
	"len(d['keys']) == 1 and d['keys'][0]['kty'] == 'RSA' and d['keys'][0]['alg'] == 'RS256' and 'd' not in d['keys'][0]"
use "$B"
check "--no-wallet-discovery: wallet path 404" test "$(curl -sS --cacert "$PSC_CA" -o /dev/null -w '%{http_code}' "$PSC_DISCOVERY")" = 404
check "  standard path 200" test "$(curl -sS --cacert "$PSC_CA" -o /dev/null -w '%{http_code}' "$PSC_ISSUER/.well-known/openid-configuration")" = 200
check "TLS 1.3 refused (TLS 1.2 only)" bash -c "! curl -sS --tlsv1.3 --cacert '$PSC_CA' -o /dev/null '$PSC_ISSUER/.well-known/openid-configuration' 2>/dev/null"

echo "# CIBA, e-CPS (channel MOBILE), mTLS client"
use "$A"
ciba "$T/c1" "${MTLS[@]}" -d "scope=openid scope_all" -d acr_values=eidas1 -d login_hint=899700012345 -d binding_message=42
check "backchannel request: 200 {auth_req_id, expires_in 120, interval 1}" jt "$T/c1" \
	"d['expires_in'] == 120 and d['interval'] == 1 and len(d['auth_req_id']) > 20"
ID1=$(jv "$T/c1" 'd["auth_req_id"]')
curl -sS -o "$T/p1" "${MTLS[@]}" -d grant_type=$CIBA -d auth_req_id="$ID1" "$PSC_ISSUER/protocol/openid-connect/token"
check "  no phone yet: authorization_pending" jt "$T/p1" "d['error'] == 'authorization_pending'"
check "  logged: ciba-request, channel MOBILE, binding 42" bash -c \
	"grep '\"event\":\"ciba-request\"' '$PSC_EVENTS' | grep '$ID1' | grep '\"channel\":\"MOBILE\"' | grep -q '\"binding_message\":\"42\"'"
check "phone --mode approve starts" "$here/phone" "$A" --mode approve --account 899700012345
poll "$T/t1" "$ID1" "${MTLS[@]}"
check "  tokens: access, refresh, ID token, Bearer, scope" jt "$T/t1" \
	"d['token_type'] == 'Bearer' and d['access_token'] and d['refresh_token'] and d['id_token'] and d['expires_in'] == 3600 and set(d['scope'].split()) == {'openid', 'scope_all'}"
check "  the phone picked 42 among 3 codes" bash -c "grep -q 'push for 899700012345: .*42' '$A/phone.log' &&
	grep '\"event\":\"phone-decision\"' '$PSC_EVENTS' | grep '$ID1' | grep -q '\"code\":\"42\"'"
check "ID token: signature (JWKS, jose), iss, aud, exp" idtoken "$T/t1" "$PSC_CLIENT_MTLS_ID" "$T/id1"
check "  RS256 with the JWKS key id" jt "$T/id1" "d['header']['alg'] == 'RS256' and d['header']['kid'] == '$(jv "$T/jwks.json" 'd["keys"][0]["kid"]')'"
check "  sub f:<uuid>:899700012345, acr eidas1, amr [mobile], auth_time, no nonce" jt "$T/id1" "
	d['payload']['sub'].startswith('f:') and d['payload']['sub'].endswith(':899700012345') and
	d['payload']['acr'] == 'eidas1' and d['payload']['amr'] == ['mobile'] and
	isinstance(d['payload']['auth_time'], int) and 'nonce' not in d['payload']"
jv "$T/t1" 'd["id_token"]' | sed 's/\.[^.]*$/.AAAA/' > "$T/forged"
check "  a wrong signature is rejected by the verifier" bash -c "! node '$PSC_NODE_DIR/verify-jwt.mjs' '$T/jwks.json' '$PSC_ISSUER' '$PSC_CLIENT_MTLS_ID' < '$T/forged' 2>/dev/null"
AT1=$(jv "$T/t1" 'd["access_token"]')
curl -sS -o "$T/u1" -w '%{http_code}' --cacert "$PSC_CA" --cert "$PSC_CLIENT_CERT" --key "$PSC_CLIENT_KEY" \
	-H "Authorization: Bearer $AT1" "$PSC_ISSUER/protocol/openid-connect/userinfo" > "$T/u1.status"
check "userinfo with the client certificate: 200, PSC claims" jt "$T/u1" "
	d['sub'].endswith(':899700012345') and d['SubjectNameID'] == '899700012345' and
	d['preferred_username'] == '899700012345' and d['family_name'] == 'MEDECIN-TEST' and
	d['given_name'] == 'JEANNE' and d['SubjectRole'] == ['10^1.2.250.1.213.1.1.5.5'] and
	d['Secteur_Activite'].startswith('SA07^') and d['Palier_Authentification'].startswith('APPPRIP3^') and
	d['SubjectOrganization'] and d['SubjectOrganizationID'] and len(d['otherIds']) == 2"
check "  SubjectRefPro: civilité, exercice (profession 10), activities" jt "$T/u1" "
	d['SubjectRefPro']['codeCivilite'] == 'MME' and
	d['SubjectRefPro']['exercices'][0]['codeProfession'] == '10' and
	d['SubjectRefPro']['exercices'][0]['codeCategorieProfessionnelle'] == 'C' and
	d['SubjectRefPro']['exercices'][0]['nomDexercice'] == 'MEDECIN-TEST' and
	d['SubjectRefPro']['exercices'][0]['prenomDexercice'] == 'JEANNE' and
	d['SubjectRefPro']['exercices'][0]['activities'][0]['codeSecteurDactivite'] == 'SA07'"
curl -sS -D "$T/u2.h" -o "$T/u2" --cacert "$PSC_CA" -H "Authorization: Bearer $AT1" "$PSC_ISSUER/protocol/openid-connect/userinfo"
check "userinfo without the client certificate: 401 invalid_token" bash -c \
	"head -1 '$T/u2.h' | grep -q ' 401' && grep -q '\"invalid_token\"' '$T/u2'"
curl -sS -o "$T/u3" -w '%{http_code}' --cacert "$PSC_CA" --cert "$DOC/auth.crt.pem" --key "$DOC/auth.key.pem" \
	-H "Authorization: Bearer $AT1" "$PSC_ISSUER/protocol/openid-connect/userinfo" > "$T/u3.status"
check "userinfo with another certificate: 401" std "$T/u3" 401
curl -sS -o "$T/i1" "${MTLS[@]}" -d token="$AT1" "$PSC_ISSUER/protocol/openid-connect/token/introspect"
check "introspection: active, cnf x5t#S256 = the structure certificate's thumbprint" jt "$T/i1" \
	"d['active'] is True and d['cnf']['x5t#S256'] == '$(thumb "$PSC_CLIENT_CERT")'"
RT1=$(jv "$T/t1" 'd["refresh_token"]')
curl -sS -o "$T/r1" "${MTLS[@]}" -d grant_type=refresh_token -d refresh_token="$RT1" "$PSC_ISSUER/protocol/openid-connect/token"
check "refresh_token grant: new access token and a rotated refresh token" jt "$T/r1" \
	"d['access_token'] and d['access_token'] != '$AT1' and d['refresh_token'] and d['refresh_token'] != '$RT1' and d['id_token']"
curl -sS -o "$T/u4" -w '%{http_code}' --cacert "$PSC_CA" --cert "$PSC_CLIENT_CERT" --key "$PSC_CLIENT_KEY" \
	-H "Authorization: Bearer $(jv "$T/r1" 'd["access_token"]')" "$PSC_ISSUER/protocol/openid-connect/userinfo" > "$T/u4.status"
check "  the new access token works" std "$T/u4" 200
check "  logged: token events for the CIBA and refresh_token grants" bash -c \
	"grep '\"event\":\"token\"' '$PSC_EVENTS' | grep -q '\"grant_type\":\"refresh_token\",\"client\":\"santecard-psc-mtls\"' &&
	grep '\"event\":\"token\"' '$PSC_EVENTS' | grep -q '\"grant_type\":\"urn:openid:params:grant-type:ciba\"'"
curl -sS -o "$T/r2" -w '%{http_code}' "${MTLS[@]}" -d grant_type=refresh_token -d refresh_token="$RT1" \
	"$PSC_ISSUER/protocol/openid-connect/token" > "$T/r2.status"
check "  the old refresh token is refused (invalid_grant)" jt "$T/r2" "d['error'] == 'invalid_grant'"
curl -sS -o "$T/r3" -w '%{http_code}' --cacert "$PSC_CA" -d client_id="$PSC_CLIENT_MTLS_ID" -d grant_type=refresh_token \
	-d refresh_token="$(jv "$T/r1" 'd["refresh_token"]')" "$PSC_ISSUER/protocol/openid-connect/token" > "$T/r3.status"
check "token endpoint without the client certificate: 401 invalid_client" jt "$T/r3" "d['error'] == 'invalid_client'"

echo "# CIBA errors"
ciba "$T/c2" "${MTLS[@]}" -d "scope=openid scope_all" -d login_hint=899700012345 -d binding_message=abc
check "binding_message 'abc': 400 invalid_binding_message" bash -c "[ \"\$(cat '$T/c2.status')\" = 400 ] && grep -q '\"invalid_binding_message\"' '$T/c2'"
ciba "$T/c3" "${MTLS[@]}" -d "scope=openid scope_all" -d login_hint=899700012345 -d binding_message=123
check "binding_message '123': 400 invalid_binding_message" jt "$T/c3" "d['error'] == 'invalid_binding_message'"
ciba "$T/c4" "${MTLS[@]}" -d "scope=openid scope_all" -d login_hint=899700012345
check "no binding_message: 400 invalid_binding_message" jt "$T/c4" "d['error'] == 'invalid_binding_message'"
ciba "$T/c5" "${MTLS[@]}" -d "scope=openid scope_all" -d login_hint=899799999999 -d binding_message=11
check "unknown national id: 400 unknown_user_id" bash -c "[ \"\$(cat '$T/c5.status')\" = 400 ] && grep -q '\"unknown_user_id\"' '$T/c5'"
ciba "$T/c6" "${MTLS[@]}" -d "scope=openid scope_all" -d login_hint=899700012345 -d binding_message=11 -d channel=SMS
check "channel SMS: 400 invalid_request" jt "$T/c6" "d['error'] == 'invalid_request'"
ciba "$T/c7" --cacert "$PSC_CA" -d client_id="$PSC_CLIENT_MTLS_ID" -d "scope=openid scope_all" -d login_hint=899700012345 -d binding_message=11
check "no client certificate: 401 invalid_client" bash -c "[ \"\$(cat '$T/c7.status')\" = 401 ] && grep -q '\"invalid_client\"' '$T/c7'"
check "phone stop" "$here/phone" "$A" stop
ciba "$T/c8" "${MTLS[@]}" -d "scope=openid scope_all" -d acr_values=eidas1 -d login_hint=899700023456 -d binding_message=07
ID8=$(jv "$T/c8" 'd["auth_req_id"]')
curl -sS -o "$T/s1" "${MTLS[@]}" -d grant_type=$CIBA -d auth_req_id="$ID8" "$PSC_ISSUER/protocol/openid-connect/token"
curl -sS -o "$T/s2" -w '%{http_code}' "${MTLS[@]}" -d grant_type=$CIBA -d auth_req_id="$ID8" "$PSC_ISSUER/protocol/openid-connect/token" > "$T/s2.status"
check "two polls at once: authorization_pending, then 400 slow_down" bash -c "grep -q '\"authorization_pending\"' '$T/s1' &&
	[ \"\$(cat '$T/s2.status')\" = 400 ] && grep -q '\"slow_down\"' '$T/s2'"
check "phone --mode deny" "$here/phone" "$A" --mode deny
poll "$T/t8" "$ID8" "${MTLS[@]}"
check "deny: access_denied" jt "$T/t8" "d['error'] == 'access_denied'"
check "  logged: phone-decision deny, ciba-denied" bash -c "grep '\"event\":\"phone-decision\"' '$PSC_EVENTS' | grep '$ID8' | grep -q '\"mode\":\"deny\"' &&
	grep '\"event\":\"ciba-denied\"' '$PSC_EVENTS' | grep -q '$ID8'"
check "phone --mode wrong-code" "$here/phone" "$A" --mode wrong-code
ciba "$T/c9" "${MTLS[@]}" -d "scope=openid scope_all" -d login_hint=899700012345 -d binding_message=55
ID9=$(jv "$T/c9" 'd["auth_req_id"]')
poll "$T/t9" "$ID9" "${MTLS[@]}"
check "wrong code: access_denied" jt "$T/t9" "d['error'] == 'access_denied'"
check "  logged: the phone chose a code that is not 55" bash -c "grep '\"event\":\"phone-decision\"' '$PSC_EVENTS' | grep '$ID9' |
	grep '\"mode\":\"wrong-code\"' | grep -v '\"code\":\"55\"' | grep -q '\"code\":\"[0-9][0-9]\"'"
sleep 1.05
curl -sS -o "$T/t9b" "${MTLS[@]}" -d grant_type=$CIBA -d auth_req_id="$ID9" "$PSC_ISSUER/protocol/openid-connect/token"
check "  polled again: invalid_grant (consumed)" jt "$T/t9b" "d['error'] == 'invalid_grant'"

echo "# the secret client, short TTLs (stand-ins B and C)"
use "$B"
check "phone --mode ignore" "$here/phone" "$B" --mode ignore
ciba "$T/c10" "${SECRET[@]}" -d "scope=openid scope_all" -d login_hint=899700056789 -d binding_message=31
check "backchannel request (client_secret_basic): expires_in 3" jt "$T/c10" "d['expires_in'] == 3"
ID10=$(jv "$T/c10" 'd["auth_req_id"]')
poll "$T/t10" "$ID10" "${SECRET[@]}"
check "ignore + --ciba-ttl 3: expired_token" jt "$T/t10" "d['error'] == 'expired_token'"
check "  logged: phone-decision ignore" bash -c "grep '\"event\":\"phone-decision\"' '$PSC_EVENTS' | grep '$ID10' | grep -q '\"mode\":\"ignore\"'"
use "$T/c"
check "phone --mode approve (every account), stand-in C" "$here/phone" "$T/c" --mode approve
ciba "$T/c11" "${SECRET[@]}" -d "scope=openid scope_all" -d login_hint=899700056789 -d binding_message=64
poll "$T/t11" "$(jv "$T/c11" 'd["auth_req_id"]')" "${SECRET[@]}"
T11=$(date +%s.%N)
AT11=$(jv "$T/t11" 'd["access_token"]')
curl -sS -o "$T/u11" -w '%{http_code}' --cacert "$PSC_CA" -H "Authorization: Bearer $AT11" "$PSC_ISSUER/protocol/openid-connect/userinfo" > "$T/u11.status"
check "approve (secret client, e-CPS-only account): tokens, expires_in 5" jt "$T/t11" \
	"d['access_token'] and d['refresh_token'] and d['expires_in'] == 5"
check "  userinfo without a certificate (not bound): 200, INFIRMIER-TEST, profession 60" jt "$T/u11" \
	"d['family_name'] == 'INFIRMIER-TEST' and d['SubjectRefPro']['exercices'][0]['codeProfession'] == '60'"
curl -sS -o "$T/jwksb.json" --cacert "$PSC_CA" "$PSC_ISSUER/protocol/openid-connect/certs"
jv "$T/t11" 'd["id_token"]' | node "$PSC_NODE_DIR/verify-jwt.mjs" "$T/jwksb.json" "$PSC_ISSUER" santecard-psc-secret > "$T/id11"
check "  ID token verified, aud santecard-psc-secret, amr [mobile]" jt "$T/id11" \
	"d['payload']['aud'] == 'santecard-psc-secret' and d['payload']['amr'] == ['mobile']"
# wait until 6 s after the token was issued (expires_in 5, whole seconds)
sleep "$(python3 -c 'import sys, time; print(max(0.0, float(sys.argv[1]) + 6 - time.time()))' "$T11")"
curl -sS -o "$T/u12" -w '%{http_code}' --cacert "$PSC_CA" -H "Authorization: Bearer $AT11" "$PSC_ISSUER/protocol/openid-connect/userinfo" > "$T/u12.status"
check "  after --access-ttl 5: 401" std "$T/u12" 401
curl -sS -o "$T/r11" "${SECRET[@]}" -d grant_type=refresh_token -d refresh_token="$(jv "$T/t11" 'd["refresh_token"]')" \
	"$PSC_ISSUER/protocol/openid-connect/token"
curl -sS -o "$T/u13" -w '%{http_code}' --cacert "$PSC_CA" -H "Authorization: Bearer $(jv "$T/r11" 'd["access_token"]')" \
	"$PSC_ISSUER/protocol/openid-connect/userinfo" > "$T/u13.status"
check "  refreshed: userinfo 200 again" std "$T/u13" 200
curl -sS -o "$T/x1" -w '%{http_code}' --cacert "$PSC_CA" -u "$PSC_CLIENT_SECRET_ID:wrong" -d grant_type=refresh_token \
	-d refresh_token="$(jv "$T/r11" 'd["refresh_token"]')" "$PSC_ISSUER/protocol/openid-connect/token" > "$T/x1.status"
check "wrong client secret: 401 invalid_client" jt "$T/x1" "d['error'] == 'invalid_client'"

echo "# CIBA channel=CARD"
use "$A"
check "phone --mode approve (it must not see CARD requests)" "$here/phone" "$A" --mode approve
ciba "$T/c20" "${MTLS[@]}" -d "scope=openid scope_all" -d acr_values=eidas1 -d login_hint=899700012345 -d binding_message=20 -d channel=CARD
ID20=$(jv "$T/c20" 'd["auth_req_id"]')
check "backchannel request channel=CARD: 200" jt "$T/c20" "d['interval'] == 1 and d['expires_in'] == 120"
sleep 1.1
curl -sS -o "$T/p20" "${MTLS[@]}" -d grant_type=$CIBA -d auth_req_id="$ID20" "$PSC_ISSUER/protocol/openid-connect/token"
check "  still pending (the phone ignores CARD requests)" jt "$T/p20" "d['error'] == 'authorization_pending'"
card() { # card OUT CURL-ARGS...: POST ext/ciba/card
	local out=$1
	shift
	curl -sS -o "$out" -w '%{http_code}' --cacert "$PSC_CA" "$@" "$PSC_ISSUER/protocol/openid-connect/ext/ciba/card" > "$out.status"
}
card "$T/k1" --cert "$PHARMA/auth.crt.pem" --key "$PHARMA/auth.key.pem" -d auth_req_id="$ID20"
check "ext/ciba/card with the pharmacist's card for the doctor: 403 access_denied" bash -c \
	"[ \"\$(cat '$T/k1.status')\" = 403 ] && grep -q '\"access_denied\"' '$T/k1'"
card "$T/k2" --cert "$PSC_CLIENT_CERT" --key "$PSC_CLIENT_KEY" -d auth_req_id="$ID20"
check "  with the structure certificate: 403 (not a PERSONNES card)" std "$T/k2" 403
card "$T/k3" -d auth_req_id="$ID20"
check "  without a certificate: 403" std "$T/k3" 403
card "$T/k4" --cert "$DOC/auth.crt.pem" --key "$DOC/auth.key.pem" -d auth_req_id=nosuchrequest
check "  unknown auth_req_id: 400" std "$T/k4" 400
card "$T/k5" --cert "$DOC/auth.crt.pem" --key "$DOC/auth.key.pem" -d auth_req_id="$ID9"
check "  a MOBILE request: 400" std "$T/k5" 400
card "$T/k6" --tls-max 1.2 --cert "$DOC/auth.crt.pem" --key "$DOC/auth.key.pem" -d auth_req_id="$ID20"
check "  with the doctor's authentication certificate (TLS 1.2): 200 approved" bash -c \
	"[ \"\$(cat '$T/k6.status')\" = 200 ] && grep -q '\"status\":\"approved\"' '$T/k6'"
check "  logged: ciba-card approved with the card's subject" bash -c "grep '\"event\":\"ciba-card\"' '$PSC_EVENTS' | grep '$ID20' |
	grep '\"result\":\"approved\"' | grep -q 'CN=899700012345'"
poll "$T/t20" "$ID20" "${MTLS[@]}"
check "  tokens" jt "$T/t20" "d['access_token'] and d['id_token']"
idtoken "$T/t20" "$PSC_CLIENT_MTLS_ID" "$T/id20"
check "  ID token: acr eidas3, amr [card]" jt "$T/id20" "d['payload']['acr'] == 'eidas3' and d['payload']['amr'] == ['card']"
card "$T/k7" --cert "$DOC/auth.crt.pem" --key "$DOC/auth.key.pem" -d auth_req_id="$ID20"
check "  once more: 400 (already approved)" std "$T/k7" 400

echo "# card-login listener (TLS 1.2, certificate required)"
curl -sS -o "$T/l1" -w '%{http_code}' --cacert "$PSC_CA" --cert "$DOC/auth.crt.pem" --key "$DOC/auth.key.pem" \
	"$PSC_CARD_LOGIN_URL" > "$T/l1.status"
check "GET card-login with the doctor's certificate: 200 'PSC card login OK'" bash -c \
	"[ \"\$(cat '$T/l1.status')\" = 200 ] && grep -q '<title>PSC card login OK .*CN=899700012345' '$T/l1'"
SUBJ=$(openssl x509 -in "$DOC/auth.crt.pem" -noout -subject -nameopt RFC2253,-esc_msb | sed 's/^subject=//')
check "  logged: {\"event\":\"card-login\",\"subject\":\"$SUBJ\"" grep -qF "{\"event\":\"card-login\",\"subject\":\"$SUBJ\"" "$PSC_EVENTS"
check "without a client certificate: handshake refused" bash -c \
	"! curl -sS --cacert '$PSC_CA' -o /dev/null '$PSC_CARD_LOGIN_URL' 2>/dev/null"
curl -sS -o "$T/l0" -w '%{http_code}' --cacert "$PSC_CA" --cert "$PSC_CLIENT_CERT" --key "$PSC_CLIENT_KEY" \
	"$PSC_CARD_LOGIN_URL" > "$T/l0.status"
check "with the structure certificate: 403 (not the IGC-Santé PERSONNES CA), logged refused" bash -c \
	"[ \"\$(cat '$T/l0.status')\" = 403 ] && grep '\"event\":\"card-login\"' '$PSC_EVENTS' | grep -q '\"result\":\"refused\"'"
check "TLS 1.3: refused" bash -c \
	"! curl -sS --tlsv1.3 --cacert '$PSC_CA' --cert '$DOC/auth.crt.pem' --key '$DOC/auth.key.pem' -o /dev/null '$PSC_CARD_LOGIN_URL' 2>/dev/null"

echo "# authorization code + PKCE through the card login"
JAR=$T/cookies
VERIFIER=$(openssl rand -hex 32)
CHALLENGE=$(printf %s "$VERIFIER" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=\n')
REDIR=http://127.0.0.1:45871/callback
AUTHZ=$(jv "$T/wallet.json" 'd["authorization_endpoint"]')
# loc CURL-ARGS... URL: the Location of a redirect (cookies kept in JAR)
loc() { curl -sS -b "$JAR" -c "$JAR" --cacert "$PSC_CA" -o "$T/page" -w '%{redirect_url}' "$@"; }
q="client_id=$PSC_CLIENT_MTLS_ID&response_type=code&scope=openid%20scope_all&acr_values=eidas1&state=st4te&nonce=n0nce&code_challenge=$CHALLENGE&code_challenge_method=S256&redirect_uri=$REDIR"
L1=$(loc "$AUTHZ?$q")
check "authorize (wallet listener): redirect to the login page" bash -c "case '$L1' in https://localhost:$PSC_WALLET_PORT/auth/realms/esante-wallet/interaction/*) ;; *) false ;; esac"
curl -sS -b "$JAR" -c "$JAR" --cacert "$PSC_CA" -o "$T/login.html" "$L1"
check "  login page offers 'Carte CPS' -> card-login?uid=" bash -c "grep -q 'id=\"card\" href=\"$PSC_CARD_LOGIN_URL?uid=[A-Za-z0-9_-]*\">Carte CPS<' '$T/login.html'"
# follow URL: follow the redirects (the card's certificate for the card login) until
# the client's redirect URI; prints the hops
follow() {
	local url=$1
	for _ in $(seq 10); do
		echo "$url"
		case "$url" in
		"$REDIR"*) return 0 ;;
		"$PSC_CARD_LOGIN_URL"*) url=$(loc --cert "$DOC/auth.crt.pem" --key "$DOC/auth.key.pem" "$url") ;;
		https://*) url=$(loc "$url") ;;
		*) return 1 ;;
		esac
	done
	return 1
}
follow "$AUTHZ?$q&login_hint=card" > "$T/hops"
check "login_hint=card: the login page redirects to the card login" bash -c "sed -n 3p '$T/hops' | grep -q '^$PSC_CARD_LOGIN_URL?uid='"
check "  card login with the doctor's certificate: back to the authorization endpoint (resume)" bash -c \
	"sed -n 4p '$T/hops' | grep -q '^https://localhost:$PSC_WALLET_PORT/auth/realms/esante-wallet/protocol/openid-connect/auth/'"
L4=$(tail -1 "$T/hops")
check "  then to the client's loopback redirect URI (any port) with code, state, iss" bash -c \
	"case '$L4' in '$REDIR?code='*'state=st4te'*'iss='*) ;; *) false ;; esac"
CODE=$(python3 -c 'import sys, urllib.parse as u; print(u.parse_qs(u.urlparse(sys.argv[1]).query)["code"][0])' "$L4")
curl -sS -o "$T/t30" "${MTLS[@]}" -d grant_type=authorization_code -d code="$CODE" -d redirect_uri=$REDIR \
	-d code_verifier=wrong-verifier-wrong-verifier-wrong-verifier-0123 "$PSC_ISSUER/protocol/openid-connect/token"
check "token with a wrong code_verifier: invalid_grant" jt "$T/t30" "d['error'] == 'invalid_grant'"
follow "$AUTHZ?$q&login_hint=card" > "$T/hops2"
L4=$(tail -1 "$T/hops2")
CODE=$(python3 -c 'import sys, urllib.parse as u; print(u.parse_qs(u.urlparse(sys.argv[1]).query)["code"][0])' "$L4")
curl -sS -o "$T/t31" "${MTLS[@]}" -d grant_type=authorization_code -d code="$CODE" -d redirect_uri=$REDIR \
	-d code_verifier="$VERIFIER" "$PSC_ISSUER/protocol/openid-connect/token"
check "token with the code_verifier: tokens (a second login reuses the session)" jt "$T/t31" "d['access_token'] and d['refresh_token'] and d['id_token']"
idtoken "$T/t31" "$PSC_CLIENT_MTLS_ID" "$T/id31"
check "  ID token: nonce, acr eidas3, amr [card], the doctor" jt "$T/id31" \
	"d['payload']['nonce'] == 'n0nce' and d['payload']['acr'] == 'eidas3' and d['payload']['amr'] == ['card'] and d['payload']['sub'].endswith(':899700012345')"
check "  logged: card-login ok with the interaction uid" bash -c "grep '\"event\":\"card-login\"' '$PSC_EVENTS' | grep '\"result\":\"ok\"' | grep -q '\"uid\":\"[A-Za-z0-9_-]\{10,\}\"'"
L5=$(loc "$AUTHZ?client_id=$PSC_CLIENT_MTLS_ID&response_type=code&scope=openid&state=s&redirect_uri=$REDIR")
check "no code_challenge: error invalid_request to the client" bash -c "case '$L5' in '$REDIR?error=invalid_request'*) ;; *) false ;; esac"
rm -f "$JAR"
L1=$(loc "$AUTHZ?$q&login_hint=899700012345")
curl -sS -b "$JAR" -c "$JAR" --cacert "$PSC_CA" -o "$T/login2.html" "$L1"
U=$(sed -n 's/.*card-login?uid=\([A-Za-z0-9_-]*\).*/\1/p' "$T/login2.html" | head -1)
curl -sS -o "$T/l2" -w '%{http_code}' --cacert "$PSC_CA" --cert "$PHARMA/auth.crt.pem" --key "$PHARMA/auth.key.pem" \
	"$PSC_CARD_LOGIN_URL?uid=$U" > "$T/l2.status"
check "login_hint=<doctor> and the pharmacist's card: 403 wrong card" bash -c "[ \"\$(cat '$T/l2.status')\" = 403 ] && grep -q 'wrong card' '$T/l2'"

echo "# Chromium through the card login (the doctor's certificate as a soft token in NSS)"
# Debian's Chromium, headless (no PIN: a soft certificate in its NSS database, no
# card); the AutoSelectCertificateForUrls policy for the card listener goes into a
# copy of /etc/chromium bind-mounted in this private mount namespace, so the host's
# /etc is untouched. --card-auto: the login page redirects to the card login.
if [ -x /usr/bin/chromium ] && [ -d /etc/chromium ] && command -v certutil > /dev/null && command -v pk12util > /dev/null; then
	C=$T/chromium
	mkdir -p "$C/home/.pki/nssdb" "$C/etc/policies/managed"
	use "$T/c"
	cp -a /etc/chromium/. "$C/etc/"
	printf '{"AutoSelectCertificateForUrls":["{\\"pattern\\":\\"https://localhost:%s\\",\\"filter\\":{}}"]}\n' \
		"$PSC_CARD_PORT" > "$C/etc/policies/managed/psc-standin.json"
	mount --bind "$C/etc" /etc/chromium
	certutil -N -d "sql:$C/home/.pki/nssdb" --empty-password
	certutil -A -d "sql:$C/home/.pki/nssdb" -n "PSC stand-in server CA" -t "C,," -i "$PSC_CA"
	openssl pkcs12 -export -in "$DOC/auth.crt.pem" -inkey "$DOC/auth.key.pem" -passout pass: -out "$C/doc.p12"
	pk12util -i "$C/doc.p12" -d "sql:$C/home/.pki/nssdb" -W '' > /dev/null 2>&1
	python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/callback"):
            open(sys.argv[1], "w").write(self.path)
        self.send_response(200); self.send_header("content-type", "text/html"); self.end_headers()
        self.wfile.write(b"<title>CALLBACK OK</title>")
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", 45872), H).serve_forever()' "$C/callback" &
	CB=$!
	tb_wait_for curl -s http://127.0.0.1:45872/
	CAUTHZ="https://localhost:$PSC_WALLET_PORT/auth/realms/esante-wallet/protocol/openid-connect/auth"
	HOME=$C/home timeout 60 /usr/bin/chromium --headless=new --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$C/ud" --dump-dom \
		"$CAUTHZ?${q//45871/45872}" > "$C/dom.html" 2> "$C/chromium.log"
	kill $CB
	check "Chromium: the authorization request ends at the client's callback with a code" bash -c \
		"grep -q 'CALLBACK OK' '$C/dom.html' && grep -q '^/callback?code=.*state=st4te' '$C/callback'"
	check "  logged: card-login ok, the doctor's subject" grep -qF "{\"event\":\"card-login\",\"subject\":\"$SUBJ\",\"idnat\":\"899700012345\",\"uid\":\"" "$PSC_EVENTS"
	"$here/stop" "$T/c"
	use "$A"
else
	echo "  (Chromium or NSS tools not installed: the browser part is not run)"
fi

echo "# events.log, stop"
check "every events.log line is a JSON object with time and event" python3 -c '
import json, sys
for f in sys.argv[1:]:
    for line in open(f):
        d = json.loads(line)
        assert isinstance(d, dict) and d["time"] and d["event"], line' "$A/events.log" "$B/events.log"
PA=$PSC_PID
PH=$(cat "$A/phone.pid")
check "stop A: the server and the phone are gone" bash -c "'$here/stop' '$A' && ! kill -0 $PA 2>/dev/null && ! kill -0 $PH 2>/dev/null"
check "  the port is closed" bash -c "! curl -sS --cacert '$PSC_CA' -o /dev/null '$PSC_ISSUER/.well-known/openid-configuration' 2>/dev/null"
check "  logged: stop" bash -c "tail -1 '$A/events.log' | grep -q '\"event\":\"stop\"'"
tb_summary
