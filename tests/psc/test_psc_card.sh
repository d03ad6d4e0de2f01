#!/bin/bash
# santecard-psc login --card --no-browser: CIBA with channel=CARD against the Pro
# Santé Connect stand-in, the possession proof being a TLS 1.2 request made with
# the simulated CPS's authentication key (cps-doctor) through our PKCS#11 module
# in OpenSSL's pkcs11 engine, the PIN given on --pin-fd:
#   - the provider saw the card's certificate (events.log: the subject with
#     CN=899700012345) and approved; the ID token says amr ["card"]; userinfo's
#     SubjectNameID is the card's national id, taken from the card as login_hint;
#   - a wrong PIN: exit 5 with the tries left, exactly one try used on the card
#     (santecard pin status), nothing sent to the provider (no CIBA request);
#   - --id that is not the card's holder: refused before the provider is asked.
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${TESTBED_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test bed needs root for its private namespaces"
		exit 77
	fi
	for t in node npm curl openssl; do
		command -v $t > /dev/null || { echo "SKIP: $t not installed"; exit 77; }
	done
	"$here/../standins/psc/start" --install
	rc=$?
	[ $rc = 0 ] || { [ $rc = 77 ] && echo "SKIP: the PSC stand-in's packages are unavailable"; exit $rc; }
	exec "$here/../integration/testbed" --cards "cps-doctor none" "$here/$(basename "$0")"
fi
. "$here/../integration/lib.sh"
. "$here/../pkcs11/p11env.sh"
. "$here/psc_lib.sh"
p11_need_module
export SANTECARD_PKCS11_MODULE=$P11_MODULE
ID=899700012345
# An instrumented build: the PKCS#11 module that OpenSSL's pkcs11 engine loads into
# santecard-psc keeps its PC/SC contexts when the engine is freed (reported to the
# owners of src/tools/common and pkcs11/); the e-CPS test checks santecard-psc's
# own leaks, so leak detection is off for the card logins only.

psc_start main
M=$PSC_DIR
requests() { grep -c '"event":"ciba-request"' "$M/events.log"; }

ASAN_OPTIONS=detect_leaks=0 psc_run login --card --no-browser --pin-fd 3 "${MTLS[@]}" 3<<< "$P11_PIN"
check "login --card --no-browser: exit 0" test "$rc" = 0
check "... the card's holder was found (CPS of JEANNE MEDECIN-TEST)" \
	grep -q "CPS of JEANNE MEDECIN-TEST ($ID)" "$T/err"
check "... the request: channel CARD, login_hint = the card's national id" \
	psc_json_true "$(grep '"ciba-request"' "$M/events.log" | tail -1)" \
	"j['channel'] == 'CARD' and j['account'] == '$ID'"
check "... the provider checked the card's certificate and approved" \
	psc_json_true "$(grep '"ciba-card"' "$M/events.log" | tail -1)" \
	"j['result'] == 'approved' and 'CN=$ID' in j['subject'] and 'MEDECIN-TEST' in j['subject']"
psc_run status "${MTLS[@]}"
check "status: card login, amr [\"card\"]" grep -q "(card, amr \[\"card\"\])" "$T/out"
psc_run userinfo "${MTLS[@]}"
check "userinfo: SubjectNameID $ID" grep -q "^SubjectNameID: *$ID\$" "$T/out"
check "the card's PIN is not verified any more (card reset at the end)" \
	psc_json_true "$(santecard pin status --json)" "j['pin']['verified'] == False"

n=$(requests)
ASAN_OPTIONS=detect_leaks=0 psc_run login --card --no-browser --pin-fd 3 "${MTLS[@]}" 3<<< 9999
check "wrong PIN: exit 5, \"wrong PIN, 2 tries left\"" \
	bash -c "[ $rc = 5 ] && grep -q 'wrong PIN, 2 tries left' '$T/err'"
check "... exactly one try used on the card" \
	psc_json_true "$(santecard pin status --json)" "j['pin']['tries_left'] == 2"
check "... nothing sent to the provider" test "$(requests)" = "$n"
ASAN_OPTIONS=detect_leaks=0 psc_run login --card --no-browser --pin-fd 3 --id 899700023456 "${MTLS[@]}" 3<<< 9999
check "--id of someone else than the card's holder: exit 2" \
	bash -c "[ $rc = 2 ] && grep -q 'is not the card' '$T/err'"
check "... before the PIN (a wrong one was on --pin-fd): still 2 tries, nothing sent" \
	bash -c "[ \"\$(santecard pin status --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[\"pin\"][\"tries_left\"])')\" = 2 ] && [ \"$(requests)\" = '$n' ]"
psc_stop_all
tb_summary
