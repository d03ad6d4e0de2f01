#!/bin/bash
# santecard-psc login --card in a real browser: the authorization code flow with
# PKCE and a loopback redirect, where the Pro Santé Connect stand-in's login step
# authenticates the user by TLS client certificate from the simulated CPS
# (cps-doctor), which Debian's Chromium reaches through our PKCS#11 module in its
# NSS database. BROWSER is a wrapper that starts that Chromium (a real window on
# Xvfb: headless Chromium cannot answer a token PIN); xdotool types the PIN into
# its "Unlock Security Device" dialog, once (a dialog coming back fails the test,
# nothing is typed twice). TLS 1.2 (a CPS3 cannot sign RSA-PSS).
# Asserts: the provider's events.log has the card's subject (card-login ok), the
# tool stored tokens whose userinfo SubjectNameID is the card's national id, amr
# ["card"], and the browser shows our "Logged in" page.
# Everything is private as in tests/pkcs11/test_p11_browser.sh (HOME and the NSS
# database, /etc/chromium with its policy, the p11-kit modules, /tmp/.X11-unix).
# SANTECARD_TESTS=quick: skipped (the main make check runs it).
if [ "${SANTECARD_TESTS:-}" = quick ]; then
	echo "SKIP: SANTECARD_TESTS=quick: the Chromium run is in the main make check"
	exit 77
fi
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${TESTBED_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test bed needs root for its private namespaces"
		exit 77
	fi
	for t in chromium Xvfb xdotool openssl certutil modutil curl node npm; do
		command -v $t > /dev/null || { echo "SKIP: $t not installed"; exit 77; }
	done
	. "$here/../pkcs11/p11env.sh"
	if [ ${#P11_PRELOAD[@]} -gt 0 ]; then
		echo "SKIP: the module is built with ASan, which Chromium cannot load (the plain build runs this test)"
		exit 77
	fi
	"$here/../standins/psc/start" --install
	rc=$?
	[ $rc = 0 ] || { [ $rc = 77 ] && echo "SKIP: the PSC stand-in's packages are unavailable"; exit $rc; }
	mkdir -p -m 1777 /tmp/.X11-unix
	mkdir -p /etc/chromium
	exec "$here/../integration/testbed" --cards "cps-doctor none" "$here/$(basename "$0")"
fi
. "$here/../integration/lib.sh"
. "$here/../pkcs11/p11env.sh"
. "$here/psc_lib.sh"
p11_need_module
ID=899700012345
pids=()
cleanup() {
	local p
	[ -s "$T/chromium.pid" ] && pids+=("$(cat "$T/chromium.pid")")
	for p in "${pids[@]}"; do kill "$p" 2> /dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2> /dev/null; done
	pids=()
	psc_stop_all
}
trap cleanup EXIT
fail() {
	local keep
	echo "  FAILED: $*"
	keep=$(mktemp -d "${TESTBED_KEEP_DIR:-/tmp}/santecard-psc-browser.XXXXXX")
	command -v import > /dev/null && import -window root "$keep/screen.png" 2> /dev/null
	cp "$T"/*.log "$T/out" "$T/err" "$T"/main/*.log "$keep"/ 2> /dev/null
	echo "  (screenshot and logs in $keep)"
	tb_failed=$((tb_failed + 1))
	tb_summary
	exit 1
}

# the stand-in's login page goes straight to its card login (no click to make)
psc_start main --card-auto

# ------------------------------------------------------------ the browser's world
mkdir -p "$HOME/.pki/nssdb"
NSSDB=sql:$HOME/.pki/nssdb
certutil -N -d "$NSSDB" --empty-password
p11_run modutil -dbdir "$NSSDB" -add santecard -libfile "$P11_MODULE" -force > "$T/modutil.log" 2>&1
check "modutil -add our module into \$HOME/.pki/nssdb" test $? = 0
p11_run certutil -A -d "$NSSDB" -n "PSC stand-in server CA" -t "C,," -i "$PSC_CA"
check "the stand-in's server CA trusted in the browser's NSS database" test $? = 0
if [ -d /usr/share/p11-kit/modules ]; then
	mkdir -p "$T/p11-modules"
	cp /usr/share/p11-kit/modules/p11-kit-trust.module "$T/p11-modules/" 2> /dev/null
	mount --bind "$T/p11-modules" /usr/share/p11-kit/modules ||
		fail "cannot hide the system's p11-kit modules"
fi
# the card's certificate chosen without the chooser, on the stand-in's listeners
cp -a /etc/chromium "$T/etc-chromium"
mkdir -p "$T/etc-chromium/policies/managed"
sel() { printf '"{\\"pattern\\":\\"https://localhost:%s\\",\\"filter\\":{\\"ISSUER\\":{\\"CN\\":\\"TEST AC IGC-SANTE FORT PERSONNES\\"}}}"' "$1"; }
cat > "$T/etc-chromium/policies/managed/santecard-test.json" <<EOF
{ "AutoSelectCertificateForUrls": [ $(sel "$PSC_CARD_PORT"), $(sel "$PSC_PORT"), $(sel "$PSC_WALLET_PORT") ] }
EOF
mount --bind "$T/etc-chromium" /etc/chromium || fail "cannot mount a private /etc/chromium"
mount -t tmpfs -o mode=1777 tmpfs /tmp/.X11-unix || fail "cannot mount a private /tmp/.X11-unix"
Xvfb :43 -nolock -noreset -nolisten tcp -screen 0 1280x800x24 > "$T/xvfb.log" 2>&1 &
pids+=($!)
export DISPLAY=:43
tb_wait_for xdotool getmouselocation || fail "Xvfb did not start"

# BROWSER: start Chromium on the URL in the background, as a desktop would
UD=$T/ud
mkdir -p "$UD"
cat > "$T/browser" <<EOF
#!/bin/sh
chromium --no-sandbox --test-type --no-first-run --no-default-browser-check \\
	--password-store=basic --disable-gpu --disable-background-networking \\
	--disable-component-update --user-data-dir="$UD" --remote-debugging-port=0 \\
	--window-size=1024,700 "\$1" >> "$T/chromium.log" 2>&1 &
echo \$! > "$T/chromium.pid"
EOF
chmod +x "$T/browser"

# ------------------------------------------------------------ the login
t0=$SECONDS
BROWSER=$T/browser timeout 90 santecard-psc login --card --timeout 80 "${MTLS[@]}" \
	> "$T/out" 2> "$T/err" &
login=$!
pids+=($login)
dialog() { xdotool search --name '^Unlock Security Device$' 2> /dev/null | head -1; }
W=
end=$((SECONDS + 60))
while [ $SECONDS -lt $end ]; do
	W=$(dialog)
	[ -n "$W" ] && break
	kill -0 "$login" 2> /dev/null || break
	sleep 0.2
done
[ -n "$W" ] || fail "no \"Unlock Security Device\" dialog within 60 s ($(tail -2 "$T/err"))"
check "Chromium asks for the card's PIN ($((SECONDS - t0)) s)" true
sleep 0.3
xdotool windowfocus --sync "$W"
printf '%s' "$P11_PIN" | xdotool type --delay 40 --file -
xdotool key Return
# wait for the tool; a second PIN dialog means the PIN was refused: stop there
rc=
end=$((SECONDS + 60))
while [ $SECONDS -lt $end ]; do
	if ! kill -0 "$login" 2> /dev/null; then
		wait "$login"
		rc=$?
		break
	fi
	N=$(dialog)
	[ -n "$N" ] && [ "$N" != "$W" ] && fail "the PIN dialog came back (PIN refused): not trying again"
	sleep 0.2
done
sed 's/^/    | /' "$T/out" "$T/err"
[ -n "$rc" ] || fail "santecard-psc login --card did not finish within 60 s of the PIN"
check "santecard-psc login --card: exit 0 ($((SECONDS - t0)) s in all)" test "$rc" = 0
check "... it opened the browser through \$BROWSER on the authorization endpoint with PKCE S256" \
	grep -q "code_challenge_method=S256" "$T/err"
check "the provider saw the card's certificate (events.log card-login, CN=$ID)" \
	psc_json_true "$(grep '"card-login"' "$PSC_EVENTS" | tail -1)" \
	"j['result'] == 'ok' and 'CN=$ID' in j['subject'] and 'MEDECIN-TEST' in j['subject']"
port=$(head -1 "$UD/DevToolsActivePort" 2> /dev/null)
title=$(curl -s "http://127.0.0.1:$port/json/list" | grep -o '"title": *"[^"]*"')
check "the browser shows our loopback page ($title)" grep -q 'Logged in' <<< "$title"
psc_run status "${MTLS[@]}"
check "status: card-browser login, amr [\"card\"]" grep -q "(card-browser, amr \[\"card\"\])" "$T/out"
psc_run userinfo "${MTLS[@]}"
check "the stored tokens' userinfo: SubjectNameID $ID" grep -q "^SubjectNameID: *$ID\$" "$T/out"
tb_summary
