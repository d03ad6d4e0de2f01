#!/bin/bash
# santecard-psc with an e-CPS against the Pro Santé Connect stand-in
# (tests/standins/psc: npm oidc-provider) and its simulated phone, inside the
# test bed's private namespaces (loopback only):
#   - CIBA approve (mTLS client): the binding message shown is the one the
#     phone saw; tokens stored 0600 in a 0700 directory; status, token,
#     userinfo (SubjectNameID, --json);
#   - the access token is bound to the structure's certificate: userinfo by
#     curl without it is 401, with it 200;
#   - refresh (access tokens of 4 s): a new, rotated token; a refused refresh
#     token ends the session with exit 13;
#   - logout: tokens revoked at the provider (the old refresh token is
#     refused), the store removed; status then says not logged in (12);
#   - deny (10), wrong code picked on the phone (10), nobody answers (11),
#     slow_down (polling faster than the interval: +5 s, then success),
#     unknown national id (1), the client-secret client, and discovery's fallback
#     to /.well-known/openid-configuration (stand-in --no-wallet-discovery).
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${TESTBED_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test bed needs root for its private namespaces"
		exit 77
	fi
	for t in node npm curl openssl; do
		command -v $t > /dev/null || { echo "SKIP: $t not installed"; exit 77; }
	done
	# npm ci before entering the namespace (no registry in there)
	"$here/../standins/psc/start" --install
	rc=$?
	[ $rc = 0 ] || { [ $rc = 77 ] && echo "SKIP: the PSC stand-in's packages are unavailable"; exit $rc; }
	exec "$here/../integration/testbed" --cards "none none" "$here/$(basename "$0")"
fi
. "$here/../integration/lib.sh"
. "$here/psc_lib.sh"

psc_start main --access-ttl 4
M=$PSC_DIR
ECPS=899700056789           # the e-CPS-only account (INFIRMIER-TEST Claire)

# ------------------------------------------------------------ approve
psc_phone "$M" approve
psc_run login --ecps --id $ECPS "${MTLS[@]}"
check "e-CPS approve: login exit 0" test "$rc" = 0
bind=$(sed -n 's/^Binding message: \([0-9][0-9]\)$/\1/p' "$T/out")
check "... a 2-digit binding message was shown ($bind)" test -n "$bind"
check "... the phone saw the same code and picked it" \
	psc_json_true "$(grep '"phone-decision"' "$M/events.log" | tail -1)" \
	"j['mode'] == 'approve' and j['code'] == j['binding_message'] == '$bind'"
check "... the request: channel MOBILE, scope openid scope_all, login_hint $ECPS" \
	psc_json_true "$(grep '"ciba-request"' "$M/events.log" | tail -1)" \
	"j['channel'] == 'MOBILE' and j['scope'] == 'openid scope_all' and j['account'] == '$ECPS'"
store=$XDG_STATE_HOME/santecard/psc
check "... tokens.json is 0600" test "$(stat -c %a "$store/tokens.json")" = 600
check "... its directory is 0700" test "$(stat -c %a "$store")" = 700
rt0=$(psc_tok refresh_token)
check "... the refresh token is never printed" bash -c "[ -n '$rt0' ] && ! grep -qF '$rt0' '$T/out' '$T/err'"
psc_run status "${MTLS[@]}"
check "status: logged in with e-CPS (amr mobile)" grep -q "f:.*:$ECPS (ecps, amr \[\"mobile\"\])" "$T/out"
psc_run userinfo "${MTLS[@]}"
check "userinfo: SubjectNameID $ECPS" grep -q "^SubjectNameID: *$ECPS\$" "$T/out"
psc_run userinfo --json "${MTLS[@]}"
check "userinfo --json: the claims as sent (SubjectRefPro.exercices[0].codeProfession 60)" \
	psc_json_true "$(cat "$T/out")" 'j["SubjectRefPro"]["exercices"][0]["codeProfession"] == "60"'
psc_run token "${MTLS[@]}"
at1=$(cat "$T/out")
check "token: prints the stored access token" test "$at1" = "$(psc_tok access_token)"

# ------------------------------------------------------------ certificate binding
ui=$(curl -s --cacert "$PSC_CA" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $at1" \
	"$PSC_ISSUER/protocol/openid-connect/userinfo")
check "the access token without the structure certificate: userinfo 401 ($ui)" test "$ui" = 401
ui=$(curl -s --cacert "$PSC_CA" --cert "$PSC_CLIENT_CERT" --key "$PSC_CLIENT_KEY" -o /dev/null \
	-w '%{http_code}' -H "Authorization: Bearer $at1" "$PSC_ISSUER/protocol/openid-connect/userinfo")
check "... with it: 200 ($ui)" test "$ui" = 200

# ------------------------------------------------------------ refresh
rt1=$(psc_tok refresh_token)
sleep 3.2           # 4 s tokens are renewed in their last second
psc_run token "${MTLS[@]}"
at2=$(cat "$T/out")
check "token after expiry: refreshed, a new access token (exit $rc)" \
	test "$rc" = 0 -a -n "$at2" -a "$at2" != "$at1"
check "... the refresh token was rotated" test "$(psc_tok refresh_token)" != "$rt1"
psc_run userinfo "${MTLS[@]}"
check "... userinfo works with it" grep -q "^SubjectNameID: *$ECPS\$" "$T/out"
# a refresh token the provider refuses: the session has ended
psc_edit 'j["refresh_token"] = "not-a-valid-token"; j["expires_at"] = 0'
psc_run token "${MTLS[@]}"
check "refused refresh token: exit 13, \"log in again\"" \
	bash -c "[ $rc = 13 ] && grep -q 'log in again' '$T/err'"

# ------------------------------------------------------------ logout
psc_run login --ecps --id $ECPS "${MTLS[@]}"
check "login again: exit 0" test "$rc" = 0
rt=$(psc_tok refresh_token)
psc_run logout "${MTLS[@]}"
check "logout: exit 0, tokens revoked" bash -c "[ $rc = 0 ] && grep -q 'revoked' '$T/err'"
check "... tokens.json removed" test ! -e "$store/tokens.json"
got=$(curl -s --cacert "$PSC_CA" --cert "$PSC_CLIENT_CERT" --key "$PSC_CLIENT_KEY" \
	-d grant_type=refresh_token -d "refresh_token=$rt" -d "client_id=$PSC_CLIENT_MTLS_ID" \
	"$PSC_ISSUER/protocol/openid-connect/token")
check "... the provider refuses the old refresh token (invalid_grant)" grep -q invalid_grant <<< "$got"
psc_run status "${MTLS[@]}"
check "status after logout: not logged in, exit 12" test "$rc" = 12

# ------------------------------------------------------------ refusals
psc_phone "$M" deny
psc_run login --ecps --id $ECPS "${MTLS[@]}"
check "phone denies: exit 10, access denied" bash -c "[ $rc = 10 ] && grep -q 'access denied' '$T/err'"
check "... nothing stored" test ! -e "$store/tokens.json"
psc_phone "$M" wrong-code
psc_run login --ecps --id $ECPS "${MTLS[@]}"
check "the user picks a wrong code: exit 10" test "$rc" = 10
check "... the phone picked another code than the binding message" \
	psc_json_true "$(grep '"phone-decision"' "$M/events.log" | tail -1)" \
	'j["mode"] == "wrong-code" and j["code"] != j["binding_message"]'
psc_run login --ecps --id 899700099999 "${MTLS[@]}"
check "unknown national id: exit 1, the provider's unknown_user_id" \
	bash -c "[ $rc = 1 ] && grep -q 'unknown_user_id' '$T/err'"

# ------------------------------------------------------------ slow_down
# The phone says nothing until the provider has answered slow_down (polls every
# 0.3 s, the interval is 1 s), then approves: the tool must wait 5 s more per
# slow_down and then get the tokens.
psc_phone "$M" ignore
t0=$SECONDS
psc_run login --ecps --id $ECPS "${MTLS[@]}" --poll-interval 0.3 &
bg=$!
for _ in $(seq 100); do
	grep -q '"result":"slow_down"' "$M/events.log" && break
	sleep 0.05
done
psc_phone "$M" approve
wait $bg
check "polling every 0.3 s: slow_down, then every 5.3 s, then logged in ($((SECONDS - t0)) s)" \
	grep -q 'slow down: polling every 5.3 s' "$T/err"
check "... logged in, tokens stored" bash -c "grep -q \"^Logged in\" '$T/out' && test -s '$XDG_STATE_HOME/santecard/psc/tokens.json'"
check "... the provider answered slow_down once: the tool slowed down" \
	test "$(grep -c '"result":"slow_down"' "$M/events.log")" = 1

# ------------------------------------------------------------ the secret client
psc_run logout "${MTLS[@]}"
psc_run login --ecps --id $ECPS "${SECRET[@]}"
check "client_secret_basic client: login exit 0" test "$rc" = 0
psc_run userinfo "${SECRET[@]}"
check "... userinfo (token not bound to a certificate)" grep -q "^SubjectNameID: *$ECPS\$" "$T/out"
psc_run token "${MTLS[@]}"
check "... the store is the secret client's: the mTLS client is not logged in (12)" test "$rc" = 12
psc_phone "$M" stop

# ------------------------------------------------------------ no answer; discovery fallback
psc_start fallback --ciba-ttl 3 --no-wallet-discovery
F=$PSC_DIR
MTLS_F=(--issuer "$PSC_ISSUER" --ca "$PSC_CA" --client-id "$PSC_CLIENT_MTLS_ID"
	--client-cert "$PSC_CLIENT_CERT" --client-key "$PSC_CLIENT_KEY")
wallet=$(curl -s --cacert "$PSC_CA" -o /dev/null -w '%{http_code}' "$PSC_DISCOVERY")
check "stand-in --no-wallet-discovery: wallet-openid-configuration is $wallet" test "$wallet" = 404
psc_phone "$F" ignore
t0=$SECONDS
psc_run login --ecps --id $ECPS "${MTLS_F[@]}"
check "nobody answers: exit 11 (expired) after $((SECONDS - t0)) s" \
	bash -c "[ $rc = 11 ] && grep -q 'expired' '$T/err'"
check "... the discovery fell back to openid-configuration" \
	grep -q 'using /.well-known/openid-configuration' "$T/err"
check "... the provider said expired_token" grep -q '"result":"expired_token"' "$F/events.log"
psc_phone "$F" approve
psc_run login --ecps --id $ECPS "${MTLS_F[@]}"
check "... and a login through the fallback works" test "$rc" = 0
psc_stop_all
tb_summary
