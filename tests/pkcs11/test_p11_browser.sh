#!/bin/bash
# A real browser: Debian's Chromium loads the PKCS#11 module (P11_MODULE,
# tests/pkcs11/p11env.sh) through the NSS database in $HOME/.pki/nssdb and completes a
# TLS 1.2 handshake with the client certificate of the simulated CPS (cps-doctor's
# authentication key) against openssl s_server, which requires a certificate from
# the test CA. The server's own trace must show the card's certificate.
#
# Headless Chromium cannot answer a token PIN (it waits for ever), so this runs a real
# Chromium window on Xvfb and types the PIN into its "Unlock Security Device" dialog
# with xdotool (reference: browser-mtls.md, recipe A). If the dialog comes back
# (the PIN was refused) the test fails at once: it never types a PIN twice.
# TLS 1.2 because a CPS3 cannot do RSA-PSS, which TLS 1.3 client authentication needs:
# against a TLS 1.3-only server the browser must give up on the card's key (checked).
#
# Everything is private: the test bed's mount, net and PID namespaces; HOME, the NSS
# database, Chromium's profile and its policy (/etc/chromium, bind-mounted) and the
# p11-kit modules directory (bind-mounted); Xvfb without a lock file on a tmpfs
# /tmp/.X11-unix.
# SANTECARD_TESTS=quick (./quickstart's sanitizer and distcheck passes): skipped,
# the main make check runs it.
if [ "${SANTECARD_TESTS:-}" = quick ]; then
	echo "SKIP: SANTECARD_TESTS=quick: the Chromium mTLS run is in the main make check"
	exit 77
fi
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${TESTBED_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test bed needs root for its private namespaces"
		exit 77
	fi
	for t in chromium Xvfb xdotool openssl certutil modutil curl opensc-tool; do
		command -v $t > /dev/null || { echo "SKIP: $t not installed"; exit 77; }
	done
	. "$here/p11env.sh"
	if [ ${#P11_PRELOAD[@]} -gt 0 ]; then
		# tried: Chromium with the ASan runtime preloaded never opens a window
		echo "SKIP: the module is built with ASan, which Chromium cannot load (the plain build runs this test)"
		exit 77
	fi
	# mount points for the private X socket directory and Chromium's private
	# configuration (what an X server and the chromium package create anyway)
	mkdir -p -m 1777 /tmp/.X11-unix
	mkdir -p /etc/chromium
	exec "$here/../integration/testbed" --cards "cps-doctor none" "$here/$(basename "$0")"
fi
. "$here/../integration/lib.sh"
. "$here/p11env.sh"
p11_need_module
echo "module: $P11_MODULE"
T=$TESTBED_DIR
PKI=$SANTECARD_PKI_DIR
PORT=8443
URL=https://127.0.0.1:$PORT/mtls.html
[ -f "$PKI/cps-doctor/auth.crt.der" ] || { echo "no PKI in $PKI (make pki)"; exit 1; }
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2> /dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2> /dev/null; done
	pids=()
}
trap cleanup EXIT
# fail WHY: screenshot and logs kept, then stop (never a second try)
fail() {
	local keep
	echo "  FAILED: $*"
	keep=$(mktemp -d "${TESTBED_KEEP_DIR:-/tmp}/santecard-browser.XXXXXX")
	command -v import > /dev/null && DISPLAY=$DISPLAY import -window root "$keep/screen.png" 2> /dev/null
	cp "$T"/*.log "$T"/server.* "$keep"/ 2> /dev/null
	echo "  (screenshot and logs in $keep)"
	tb_failed=$((tb_failed + 1))
	tb_summary
	exit 1
}

# ------------------------------------------------------------ the server
# A server certificate for 127.0.0.1 from the test root CA, which the browser trusts.
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/server.key" -subj /CN=127.0.0.1 \
	-out "$T/server.csr" 2> /dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > "$T/server.ext"
openssl x509 -req -in "$T/server.csr" -CA "$PKI/ca/root.crt.pem" -CAkey "$PKI/ca/root.key.pem" \
	-CAcreateserial -CAserial "$T/ca.srl" -days 2 -extfile "$T/server.ext" \
	-out "$T/server.crt" 2> /dev/null || { echo "cannot issue the server certificate"; exit 1; }
mkdir -p "$T/www"
printf '<html><head><title>santecard mTLS OK</title></head><body>card accepted</body></html>\n' \
	> "$T/www/mtls.html"
# -Verify 1 + -verify_return_error: no handshake without a client certificate that
# chains to the test CA. -trace writes every handshake message, the client's
# Certificate message included, to server.trace: the server's own record.
# start_server [-tls1_2|-tls1_3]: (re)start it with a fresh trace and log.
server_pid=
start_server() {
	local version=${1:--tls1_2}
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2> /dev/null
		wait "$server_pid" 2> /dev/null
	fi
	rm -f "$T/server.trace" "$T/server.log"
	(cd "$T/www" && exec openssl s_server -accept "127.0.0.1:$PORT" "$version" \
		-cert "$T/server.crt" -key "$T/server.key" \
		-CAfile "$PKI/ca/chain.pem" -Verify 1 -verify_return_error \
		-trace -msgfile "$T/server.trace" -WWW > "$T/server.log" 2>&1) &
	server_pid=$!
	pids+=($server_pid)
	tb_wait_for bash -c "echo > /dev/tcp/127.0.0.1/$PORT" || fail "s_server did not start"
}
start_server
check "the server refuses a client without a certificate" \
	test "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$PKI/ca/root.crt.pem" "$URL")" = 000

# ------------------------------------------------------------ the browser's world
export HOME=$T/home
mkdir -p "$HOME/.pki/nssdb"
NSSDB=sql:$HOME/.pki/nssdb
certutil -N -d "$NSSDB" --empty-password
p11_run modutil -dbdir "$NSSDB" -add santecard -libfile "$P11_MODULE" -force > "$T/modutil.log" 2>&1
check "modutil -add into \$HOME/.pki/nssdb" test $? = 0
p11_run certutil -A -d "$NSSDB" -n "santecard test root" -t "C,," -i "$PKI/ca/root.crt.pem"
check "test root CA trusted in the browser's NSS database" test $? = 0
# Only the module of the NSS database: no system-wide p11-kit module (OpenSC's)
# reaches the browser's NSS through p11-kit's proxy.
if [ -d /usr/share/p11-kit/modules ]; then
	mkdir -p "$T/p11-modules"
	cp /usr/share/p11-kit/modules/p11-kit-trust.module "$T/p11-modules/" 2> /dev/null
	mount --bind "$T/p11-modules" /usr/share/p11-kit/modules ||
		fail "cannot hide the system's p11-kit modules"
fi
# Chromium's managed policy picks the certificate without the chooser dialog.
cp -a /etc/chromium "$T/etc-chromium"
mkdir -p "$T/etc-chromium/policies/managed"
cat > "$T/etc-chromium/policies/managed/santecard-test.json" <<EOF
{ "AutoSelectCertificateForUrls": [
  "{\"pattern\":\"https://127.0.0.1:$PORT\",\"filter\":{\"ISSUER\":{\"CN\":\"TEST AC IGC-SANTE FORT PERSONNES\"}}}" ] }
EOF
mount --bind "$T/etc-chromium" /etc/chromium || fail "cannot mount a private /etc/chromium"
# X: a private socket directory, no lock file in the shared /tmp
mount -t tmpfs -o mode=1777 tmpfs /tmp/.X11-unix || fail "cannot mount a private /tmp/.X11-unix"
# -noreset: an X server resets when its last client leaves, and refuses connections
# meanwhile (Chromium then exits with "Missing X server")
Xvfb :42 -nolock -noreset -nolisten tcp -screen 0 1280x800x24 > "$T/xvfb.log" 2>&1 &
pids+=($!)
export DISPLAY=:42
tb_wait_for xdotool getmouselocation || fail "Xvfb did not start"

# ------------------------------------------------------------ the run
dialog() { xdotool search --name '^Unlock Security Device$' 2> /dev/null | head -1; }
# browse PIN: start Chromium on the page with a fresh profile, type PIN once into the
# PIN dialog, and wait for the page. 0: loaded; 2: the PIN dialog came back (PIN
# refused: Chromium is stopped, nothing is typed again); 3: the client aborted the
# handshake with a handshake_failure alert (the server's log); 1: anything else.
# $why and $took say what and when. Waits are bounded in wall-clock time.
browse() {
	local pin=$1 t0 W N port title ud=$T/ud.$RANDOM cpid rc end
	t0=$(date +%s.%N)
	took=
	mkdir -p "$ud"
	chromium --no-sandbox --test-type --no-first-run --no-default-browser-check \
		--password-store=basic --disable-gpu --disable-background-networking \
		--disable-component-update --user-data-dir="$ud" --remote-debugging-port=0 \
		--window-size=1024,700 "$URL" >> "$T/chromium.log" 2>&1 &
	cpid=$!
	pids+=($cpid)
	W=
	end=$((SECONDS + 60))		# Chromium's start on a loaded machine
	while [ $SECONDS -lt $end ]; do
		W=$(dialog)
		[ -n "$W" ] && break
		if ! kill -0 "$cpid" 2> /dev/null; then
			why="Chromium exited: $(grep -v dbus "$T/chromium.log" | tail -3)"
			return 1
		fi
		sleep 0.2
	done
	if [ -z "$W" ]; then
		why="no \"Unlock Security Device\" dialog within 60 s"
		return 1
	fi
	took=$(printf '%.2f' "$(echo "$(date +%s.%N) - $t0" | bc)")
	sleep 0.3
	# the PIN goes through stdin, not xdotool's command line
	xdotool windowfocus --sync "$W"
	printf '%s' "$pin" | xdotool type --delay 40 --file -
	xdotool key Return
	port=
	for _ in $(seq 50); do
		port=$(head -1 "$ud/DevToolsActivePort" 2> /dev/null)
		[ -n "$port" ] && break
		sleep 0.1
	done
	rc=1 why="the page did not load within 30 s"
	[ -n "$port" ] || why="no DevTools port"
	end=$((SECONDS + 30))
	while [ $SECONDS -lt $end ]; do
		[ -n "$port" ] || break
		if grep -q 'SSL alert number 40' "$T/server.log"; then
			rc=3 why="the browser aborted the handshake (handshake_failure alert)"
			break
		fi
		title=$(curl -s "http://127.0.0.1:$port/json/list" | grep -o '"title": *"[^"]*"')
		case "$title" in *"santecard mTLS OK"*) rc=0 why= ; break ;; esac
		N=$(dialog)
		if [ -n "$N" ] && [ "$N" != "$W" ]; then
			rc=2 why="the PIN dialog came back (PIN refused)"
			break
		fi
		sleep 0.2
	done
	took="$took s to the PIN dialog, $(printf '%.2f' "$(echo "$(date +%s.%N) - $t0" | bc)") s in all"
	kill "$cpid" 2> /dev/null
	wait "$cpid" 2> /dev/null
	return $rc
}

# 1. A wrong PIN: the test must notice the dialog coming back and stop there (one
# try used on the card, no second one).
browse 9999
rc=$?
check "wrong PIN: the dialog comes back and the run stops ($why; $took)" test $rc = 2
check "... the card counted exactly one wrong PIN (63 C2)" \
	test "$(opensc-tool -s '00 20 00 01 00' 2> /dev/null |
		sed -n 's/.*SW1=0x\(..\), SW2=0x\(..\).*/\1 \2/p' | tr a-f A-F)" = "63 C2"
# 2. TLS 1.3 only: a CPS3 cannot sign RSA-PSS, so after the PIN the browser finds no
# signature algorithm it can use with the card's key and aborts the handshake
# (ERR_SSL_CLIENT_AUTH_NO_COMMON_ALGORITHMS): the limit santecard-pkcs11(8) states.
start_server -tls1_3
browse "$P11_PIN"
rc=$?
check "TLS 1.3 only: the browser gives up on the card's key ($why; $took)" test $rc = 3
check "... the server got no CertificateVerify" \
	test "$(awk '/^(Sent|Received) Record/ { rx = ($1 == "Received") } rx' "$T/server.trace" |
		grep -c CertificateVerify)" = 0
# 3. TLS 1.2 and the card's PIN: the page loads over mutual TLS.
start_server -tls1_2
browse "$P11_PIN" || fail "$why: not trying again"
check "Chromium loaded the page over mutual TLS with the card ($took)" true

# ------------------------------------------------------------ what the server saw
# The records the server received, from its -trace: the client's Certificate
# message (printed with its PEM) and CertificateVerify.
awk '/^(Sent|Received) Record/ { rx = ($1 == "Received") } rx' "$T/server.trace" > "$T/server.rx"
sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' "$T/server.rx" |
	grep -v -- ----- | tr -d '\n' > "$T/server.rx.b64"
auth_b64=$(openssl x509 -inform DER -in "$PKI/cps-doctor/auth.crt.der" | grep -v -- ----- | tr -d '\n')
serial=$(openssl x509 -inform DER -in "$PKI/cps-doctor/auth.crt.der" -noout -serial | cut -d= -f2)
check "server: the handshake was TLS 1.2" grep -q 'server_version=0x303 (TLS 1.2)' "$T/server.trace"
check "server: received the card's authentication certificate (byte for byte, serial $serial)" \
	grep -qF "$auth_b64" "$T/server.rx.b64"
check "server: ... subject CN=899700012345, SN=MEDECIN-TEST" \
	grep -q 'Subject: C = FR, .*CN = 899700012345 + SN = MEDECIN-TEST' "$T/server.rx"
check "server: the client proved it holds the key (CertificateVerify)" \
	grep -q 'CertificateVerify' "$T/server.rx"
check "server: the client's chain verified against the test CA" \
	grep -q '^depth=0 C = FR, .*CN = 899700012345' "$T/server.log"
[ "$tb_failed" = 0 ] || fail "see the server's trace"
tb_summary
