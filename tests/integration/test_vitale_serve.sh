#!/bin/bash
# santecard-vitale serve: the local web page in Debian's headless Chromium,
# driven through the DevTools protocol over --remote-debugging-pipe (python3,
# no npm), with live updates by Server-Sent Events on one open page: the
# simulated card's holder appears when it is inserted (page text, and the
# screenshot read back by tesseract OCR), the waiting state ("Insérez votre carte
# Vitale") returns when it is removed, a corrupt card shows the error state.
# Then the HTTP rules with curl and socat: GET only, known paths only, Host
# checked, bounded request head, SSE pushes the state on connect and on change.
# Test bed: "vitale-single vitale-corrupt".
# SANTECARD_TESTS=quick (./quickstart's sanitizer and distcheck passes): skipped,
# the main make check runs it.
if [ "${SANTECARD_TESTS:-}" = quick ]; then
	echo "SKIP: SANTECARD_TESTS=quick: the Chromium kiosk page run is in the main make check"
	exit 77
fi
here=$(cd "$(dirname "$0")" && pwd)
self="$here/$(basename "$0")"
if [ -z "${TESTBED_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test bed needs root for its private namespaces"
		exit 77
	fi
	for t in curl socat; do
		command -v $t > /dev/null || { echo "SKIP: $t not installed"; exit 77; }
	done
	exec "$here/testbed" --cards "vitale-single vitale-corrupt" "$self"
fi
. "$here/lib.sh"
PY=/usr/bin/python3
T=$TESTBED_DIR
PORT=8765
URL=http://127.0.0.1:$PORT
: "${CHROMIUM:=/usr/bin/chromium}"

tb_card remove 1 > /dev/null
santecard-vitale serve --listen 127.0.0.1:$PORT 2> "$T/serve.err" &
SPID=$!
tb_wait_for curl -sf "$URL/state"
check "serve answers /state" curl -sf -o "$T/state" "$URL/state"
check "  state card, DURAND-TEST" $PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == 1 and d["state"] == "card" and d["readers"] == 2, d
assert d["document"]["beneficiaries"][0]["surname"] == "DURAND-TEST"' "$T/state"

# ------------------------------------------------------------- the browser
cat > "$T/cdp.py" <<'PYEOF'
"""Drive headless Chromium through the DevTools protocol on a pipe: fd 3 and 4
of the browser carry NUL-terminated JSON messages. Commands on stdin, one per
line: 'wait TEXT' (until the page's visible text holds TEXT, 15 s at most),
'shot FILE' (PNG screenshot), 'text FILE'. Prints 'ok' or 'fail ...' per command."""
import base64, json, os, subprocess, sys, time

chromium, userdir, url = sys.argv[1:4]
to_chrome_r, to_chrome_w = os.pipe()
from_chrome_r, from_chrome_w = os.pipe()
os.dup2(to_chrome_r, 7)
os.dup2(from_chrome_w, 8)
for fd in (to_chrome_r, from_chrome_w):
    os.close(fd)
proc = subprocess.Popen(
    ["sh", "-c", 'exec "$0" "$@" 3<&7 4>&8 7<&- 8>&-', chromium, "--headless=new", "--no-sandbox",
     "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
     "--disable-dev-shm-usage", "--user-data-dir=" + userdir, "--remote-debugging-pipe",
     "--window-size=1200,800", "--lang=fr-FR", "about:blank"],
    pass_fds=(7, 8), stdout=subprocess.DEVNULL, stderr=open(userdir + ".log", "w"))
os.close(7)
os.close(8)
buf = b""
next_id = 0

def call(method, params=None, session=None, timeout=20):
    global buf, next_id
    next_id += 1
    msg = {"id": next_id, "method": method, "params": params or {}}
    if session:
        msg["sessionId"] = session
    os.write(to_chrome_w, json.dumps(msg).encode() + b"\0")
    end = time.time() + timeout
    while time.time() < end:
        while b"\0" in buf:
            raw, buf = buf.split(b"\0", 1)
            m = json.loads(raw)
            if m.get("id") == next_id:
                if "error" in m:
                    raise RuntimeError(method + ": " + json.dumps(m["error"]))
                return m["result"]
        chunk = os.read(from_chrome_r, 1 << 20)
        if not chunk:
            raise RuntimeError("browser closed the pipe")
        buf += chunk
    raise RuntimeError(method + ": no answer")

try:
    target = call("Target.createTarget", {"url": url})["targetId"]
    sess = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for line in sys.stdin:
        cmd, _, arg = line.rstrip("\n").partition(" ")
        try:
            if cmd == "wait":
                end, text = time.time() + 15, ""
                while time.time() < end:
                    r = call("Runtime.evaluate", {"expression": "document.body ? document.body.innerText : ''",
                                                  "returnByValue": True}, sess)
                    text = r["result"].get("value", "")
                    if arg in text:
                        break
                    time.sleep(0.1)
                print("ok" if arg in text else "fail: page shows " + repr(text), flush=True)
            elif cmd == "shot":
                r = call("Page.captureScreenshot", {"format": "png"}, sess)
                open(arg, "wb").write(base64.b64decode(r["data"]))
                print("ok", flush=True)
            elif cmd == "text":
                r = call("Runtime.evaluate", {"expression": "document.body.innerText", "returnByValue": True}, sess)
                open(arg, "w", encoding="utf-8").write(r["result"]["value"])
                print("ok", flush=True)
        except Exception as e:  # report, keep going
            print("fail: " + str(e), flush=True)
finally:
    try:
        call("Browser.close", timeout=5)
    except Exception:
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
PYEOF

if [ ! -x "$CHROMIUM" ]; then
	echo "  SKIP (browser part): $CHROMIUM not installed (apt-get install chromium)"
else
	mkfifo "$T/cdp.in"
	$PY "$T/cdp.py" "$CHROMIUM" "$T/chromium" "$URL/" < "$T/cdp.in" > "$T/cdp.out" 2> "$T/cdp.err" &
	CPID=$!
	exec 9> "$T/cdp.in"
	nread=0
	# browser CMD ARG: send one command, wait for its answer (30 s)
	browser() {
		echo "$1 $2" >&9
		nread=$((nread + 1))
		for _ in $(seq 300); do
			[ "$(wc -l < "$T/cdp.out")" -ge "$nread" ] && break
			sleep 0.1
		done
		local ans
		ans=$(sed -n "${nread}p" "$T/cdp.out")
		[ "$ans" = ok ] || { echo "    $ans"; cat "$T/cdp.err" "$T/chromium.log" 2>/dev/null | tail -5; return 1; }
	}
	ocr_has() {
		if ! command -v tesseract > /dev/null; then
			echo "    SKIP (OCR): tesseract not installed (apt-get install tesseract-ocr)"
			return 0
		fi
		tesseract "$1" "$T/ocr" > /dev/null 2>&1 && grep -q -- "$2" "$T/ocr.txt" ||
			{ echo "    OCR read:"; cat "$T/ocr.txt" 2>/dev/null; return 1; }
	}
	check "chromium: the holder's name on the page" browser wait "DURAND-TEST THOMAS"
	check "  birth date shown" browser wait "Date de naissance : 12/06/1985"
	check "  screenshot" browser shot "$T/card.png"
	check "  OCR of the screenshot reads the name" ocr_has "$T/card.png" "DURAND-TEST"
	tb_card remove 0 > /dev/null
	check "card removed: the waiting state returns (live, SSE)" browser wait "Insérez votre carte Vitale"
	check "  screenshot" browser shot "$T/waiting.png"
	check "  OCR: the waiting text" ocr_has "$T/waiting.png" "carte Vitale"
	check "  the name is gone" sh -c "! tesseract '$T/waiting.png' - 2>/dev/null | grep -q DURAND"
	tb_card insert 0 > /dev/null
	check "card inserted again: the name again" browser wait "DURAND-TEST THOMAS"
	tb_card remove 0 > /dev/null
	check "  removed again: waiting" browser wait "Insérez votre carte Vitale"
	tb_card insert 1 > /dev/null
	check "corrupt card: the error state" browser wait "Carte illisible"
	check "  screenshot" browser shot "$T/error.png"
	check "  OCR: the error text" ocr_has "$T/error.png" "Carte illisible"
	tb_card remove 1 > /dev/null
	check "  removed: waiting" browser wait "Insérez votre carte Vitale"
	mkdir -p "${VITALE_SCREENSHOTS:-$T}" && cp "$T"/*.png "${VITALE_SCREENSHOTS:-$T}/" 2>/dev/null
	exec 9>&-
	wait "$CPID"
fi

# ---------------------------------------------------------- HTTP by hand
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
check "GET / is the page (text/html, CSP, no-store)" sh -c "curl -si '$URL/' | tr -d '\r' | grep -q -x 'Content-Security-Policy: default-src .self.; frame-ancestors .none.' && curl -si '$URL/' | grep -q 'no-store' && curl -s '$URL/' | grep -q 'Insérez votre carte Vitale'"
check "GET /app.js, /style.css" sh -c "test \$(curl -s -o /dev/null -w '%{http_code}' $URL/app.js) = 200 && test \$(curl -s -o /dev/null -w '%{http_code}' $URL/style.css) = 200"
check "POST: 405" test "$(code -X POST -d x "$URL/state")" = 405
check "HEAD: 405" test "$(code -I "$URL/")" = 405
check "unknown path: 404" test "$(code "$URL/etc/passwd")" = 404
check "path traversal: 404" test "$(code --path-as-is "$URL/../../etc/passwd")" = 404
check "foreign Host (DNS rebinding): 421" test "$(code -H 'Host: evil.example:8765' "$URL/state")" = 421
check "Host localhost accepted" test "$(code -H "Host: localhost:$PORT" "$URL/state")" = 200
big=$(head -c 9000 /dev/zero | tr '\0' a)
check "9 KB request head: 431" sh -c "printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1:$PORT\r\nX: $big\r\n\r\n' | socat -t3 - TCP:127.0.0.1:$PORT | head -1 | grep -q ' 431 '"
check "garbage: 400" sh -c "printf 'hello\r\n\r\n' | socat -t3 - TCP:127.0.0.1:$PORT | head -1 | grep -q ' 400 '"
check "HTTP/2.0: 505" sh -c "printf 'GET / HTTP/2.0\r\n\r\n' | socat -t3 - TCP:127.0.0.1:$PORT | head -1 | grep -q ' 505 '"
# SSE: the state on connect, then after each change
timeout 4 curl -sN "$URL/events" > "$T/sse" &
CURLP=$!
sleep 0.7
tb_card insert 0 > /dev/null
sleep 1.5
tb_card remove 0 > /dev/null
wait $CURLP
check "SSE: waiting, card, waiting" $PY - "$T/sse" <<'PYEOF'
import json, sys
ev = [json.loads(l[6:]) for l in open(sys.argv[1], encoding="utf-8").read().splitlines()
      if l.startswith("data: ")]
assert [e["state"] for e in ev] == ["waiting", "card", "waiting"], [e["state"] for e in ev]
assert ev[1]["document"]["beneficiaries"][0]["nir"] == "185067511512380"
PYEOF
# 32 idle connections fill every slot: the next is refused (503) at once, and
# once they go the server serves again
$PY -c "
import socket, time
s = [socket.create_connection(('127.0.0.1', $PORT)) for _ in range(32)]
time.sleep(0.3)
open('$T/idle.ready', 'w').close()
time.sleep(2)" &
IDLE=$!
tb_wait_for test -f "$T/idle.ready"
check "33rd connection while 32 are open: 503" test "$(code "$URL/state")" = 503
wait $IDLE
check "  after they close: 200" test "$(code "$URL/state")" = 200
check "serve still running" kill -0 "$SPID"
kill -TERM "$SPID"
wait "$SPID"
check "SIGTERM: exits 0" test $? = 0
check "no personal data on standard error" sh -c "! grep -q -E 'DURAND|THOMAS|185067511512380' '$T/serve.err'"
check "--listen with a bad address: exit 2" sh -c 'santecard-vitale serve --listen nowhere 2>/dev/null; test $? = 2'
tb_summary
