#!/bin/bash
# The e-prescription stand-in service on its own, without santecard-erx:
# Bundles made and signed by erxbundle.py (jwcrypto, with the test PKI's key
# FILES), sent by curl with the CPS authentication certificates of the test
# PKI. Checks every answer of the contract: created / duplicate / identifier
# reused, wrong signer (profession, TLS client != signer), bad signatures
# (changed byte, unknown CA, no x5c, a key without nonRepudiation), TLS without
# a client certificate, over-dispensing across dispensations and the remaining
# quantities, substitution refused, the failure hook, restart keeping the data,
# hostile bodies, unknown identifiers, concurrent duplicates.
# Runs in private network and PID namespaces (unshare, needs root).
here=$(cd "$(dirname "$0")" && pwd)
self="$here/$(basename "$0")"
if [ -z "${ERX_TEST_NS:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test runs in private namespaces, which needs root"
		exit 77
	fi
	for t in curl openssl unshare ip; do
		command -v $t > /dev/null || { echo "SKIP: $t not installed"; exit 77; }
	done
	/usr/bin/python3 -c 'import jwcrypto, cryptography' 2>/dev/null ||
		{ echo "SKIP: python3-jwcrypto / python3-cryptography not installed"; exit 77; }
	export ERX_TEST_NS=1
	exec unshare --mount --propagation private --net --pid --fork --mount-proc \
		bash -c 'ip link set lo up && exec "$0"' "$self"
fi
. "$here/../../integration/lib.sh"
PY=/usr/bin/python3
SVC=$here
PKI=${SANTECARD_PKI_DIR:-${top_builddir:-$here/../../..}/pki}
[ -s "$PKI/ca/root.crt.pem" ] || { echo "no test PKI in $PKI: run make pki"; exit 1; }
T=$(mktemp -d /tmp/erx-standin.XXXXXX)
keep=0
cleanup() {
	"$SVC/stop" "$T/svc" > /dev/null 2>&1
	if [ "$keep" = 1 ]; then echo "logs kept in $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

mk() { $PY -B "$SVC/erxbundle.py" "$@"; }
signer() { echo "--key $PKI/$1/${2:-sign}.key.pem --cert $PKI/$1/${2:-sign}.crt.pem --chain $PKI/$1/chain.pem"; }
# req HOLDER METHOD PATH [FILE]: the HTTP status on stdout, the body in $T/out.
req() {
	local who=$1 method=$2 path=$3 file=${4:-}
	local args=(-sS -o "$T/out" -D "$T/hdr" -w '%{http_code}' --max-time 20 --cacert "$ERX_CA" -X "$method")
	[ "$who" = none ] || args+=(--cert "$PKI/$who/auth.crt.pem" --key "$PKI/$who/auth.key.pem")
	[ -z "$file" ] || args+=(-H 'Content-Type: application/fhir+json' --data-binary "@$file")
	curl "${args[@]}" "$ERX_URL$path" 2> "$T/curl.err"
}
# jq-like: field EXPR (python expression on d = the last answer's JSON).
field() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T/out" "$1"; }
is() { [ "$1" = "$2" ] || { echo "    got '$1', want '$2'"; [ -f "$T/out" ] && head -c 300 "$T/out" && echo; return 1; }; }
# A valid identifier: EP-/ED- + 3 groups of 4 Crockford symbols, the last one
# the check symbol (the 11 others as a base-32 number, mod 37).
# got_bundle HOLDER ID FILE STATUS: GET answers 200 with FILE's bytes, X-Erx-Status STATUS.
got_bundle() {
	is "$(req "$1" GET "/prescriptions/$2")" 200 && cmp -s "$T/out" "$3" &&
		grep -qi "^X-Erx-Status: $4"$'\r'"\$" "$T/hdr" &&
		grep -qi "^Content-Type: application/fhir+json" "$T/hdr"
}
no_cert_refused() {
	is "$(req none GET "/prescriptions/$P1")" 000 && grep -qi "alert\|handshake" "$T/curl.err"
}
valid_id() {
	$PY - "$1" "$2" <<'EOF'
import re, sys
pre, s = sys.argv[1], sys.argv[2]
m = re.fullmatch(pre + r"-([0-9A-HJKMNP-TV-Z]{4})-([0-9A-HJKMNP-TV-Z]{4})-([0-9A-HJKMNP-TV-Z]{3})(.)", s)
alpha = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
n = 0
for c in "".join(m.groups()[:3]) if m else "":
    n = n * 32 + alpha.index(c)
sys.exit(0 if m and (alpha + "*~$=U")[n % 37] == m.group(4) else 1)
EOF
}

echo "# start"
check "start --test-hooks" "$SVC/start" "$T/svc" --test-hooks --pki "$PKI"
. "$T/svc/env"
check "  env: ERX_URL https://127.0.0.1:PORT/erx/v1" \
	bash -c '[[ $0 =~ ^https://127\.0\.0\.1:[0-9]+/erx/v1$ ]]' "$ERX_URL"
check "  env: ERX_CA, ERX_DB, ERX_LOG, ERX_PID" \
	bash -c '[ -s "$0" ] && [ -s "$1" ] && [ -f "$2" ] && kill -0 "$3"' "$ERX_CA" "$ERX_DB" "$ERX_LOG" "$ERX_PID"
check "  a second start on the same DIR is refused" \
	bash -c '! "$0" "$1" --pki "$2" 2>/dev/null' "$SVC/start" "$T/svc" "$PKI"

echo "# prescriptions"
mk prescription $(signer cps-doctor) > "$T/p1.json"
check "prescribe: 201 created" is "$(req cps-doctor POST /prescriptions "$T/p1.json")" 201
P1=$(field 'd["prescriptionId"]')
check "  identifier EP-XXXX-XXXX-XXXC with a valid check symbol ($P1)" valid_id EP "$P1"
check "  status created, bundleId echoed" is "$(field 'd["status"]+" "+d["bundleId"]')" \
	"created $($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["identifier"]["value"])' "$T/p1.json")"
check "same bundle again: 200 duplicate, same id" \
	is "$(req cps-doctor POST /prescriptions "$T/p1.json") $(field 'd["status"]+" "+d["prescriptionId"]')" \
	"200 duplicate $P1"
bid=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["identifier"]["value"])' "$T/p1.json")
mk prescription $(signer cps-doctor) --bundle-id "$bid" > "$T/p1b.json"
check "same Bundle.identifier, other content: 409 identifier_reused" \
	is "$(req cps-doctor POST /prescriptions "$T/p1b.json") $(field 'd["error"]')" "409 identifier_reused"
check "GET: 200, the bundle byte for byte, X-Erx-Status open" \
	got_bundle cps-pharmacist "$P1" "$T/p1.json" open
check "GET in lower case, O for 0 (Crockford decoding): 200" \
	is "$(req cps-pharmacist GET "/prescriptions/$(echo "$P1" | tr 'A-Z0' 'a-zo')")" 200
check "GET of an unknown identifier: 404 not_found" \
	is "$(req cps-doctor GET /prescriptions/EP-0000-0000-0000) $(field 'd["error"]')" "404 not_found"
bad_check=$($PY -c 'import sys; s=sys.argv[1]; print(s[:-1] + ("0" if s[-1] != "0" else "1"))' "$P1")
check "GET with a wrong check symbol: 404" is "$(req cps-doctor GET "/prescriptions/$bad_check")" 404
# Identifiers whose check symbol is one of * ~ $ = U, as is and percent-encoded.
special=$($PY -c '
import urllib.parse
alpha = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
for want in range(32, 37):
    for k in range(1024):
        data = "1234567AB" + alpha[k // 32] + alpha[k % 32]
        n = 0
        for c in data:
            n = n * 32 + alpha.index(c)
        if n % 37 == want:
            break
    i = "EP-%s-%s-%s%s" % (data[:4], data[4:8], data[8:], (alpha + "*~$=U")[want])
    print(i, urllib.parse.quote(i, safe=""))')
special_ok() {
	local i
	for i in $special; do
		is "$(req cps-doctor GET "/prescriptions/$i") $(field 'd["message"][:15]')" "404 no prescription" || return 1
	done
}
check "check symbols * ~ \$ = U (also percent-encoded) are understood" special_ok
check "GET /prescriptions/../x: 404" is "$(req cps-doctor GET /prescriptions/x/y/z)" 404
check "PUT /prescriptions: 405" is "$(req cps-doctor PUT /prescriptions "$T/p1.json")" 405

echo "# signers"
mk prescription $(signer cps-pharmacist) > "$T/p-ph.json"
check "pharmacist prescribing: 403 wrong_signer" \
	is "$(req cps-pharmacist POST /prescriptions "$T/p-ph.json") $(field 'd["error"]')" "403 wrong_signer"
check "doctor's bundle over another doctor's TLS certificate: 403 wrong_signer" \
	is "$(req cps-trace POST /prescriptions "$T/p1.json") $(field 'd["error"]')" "403 wrong_signer"
check "  the message names the TLS client" grep -q "TLS client" "$T/out"
mk prescription $(signer cps-doctor) --as "$PKI/cps-trace/sign.crt.pem" > "$T/p-as.json"
check "signed by the doctor, Practitioner another doctor: 403 wrong_signer" \
	is "$(req cps-doctor POST /prescriptions "$T/p-as.json") $(field 'd["error"]+" "+str("names Practitioner" in d["message"])')" "403 wrong_signer True"
mk prescription $(signer cps-doctor) --tamper > "$T/p-tamper.json"
check "one byte changed after signing: 422 bad_signature" \
	is "$(req cps-doctor POST /prescriptions "$T/p-tamper.json") $(field 'd["error"]')" "422 bad_signature"
mk prescription $(signer cps-doctor auth) > "$T/p-auth.json"
check "signed with the authentication key (no nonRepudiation): 422" \
	is "$(req cps-doctor POST /prescriptions "$T/p-auth.json") $(field 'd["error"]')" "422 bad_signature"
# A look-alike certificate (same subject, nonRepudiation) from an unknown CA.
(
	cd "$T" && umask 077
	openssl req -x509 -newkey rsa:2048 -nodes -keyout evil-ca.key -out evil-ca.pem -days 30 \
		-subj "/C=FR/O=ASIP-SANTE/CN=TEST AC IGC-SANTE FORT PERSONNES" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
	openssl req -new -newkey rsa:2048 -nodes -keyout evil.key -out evil.csr \
		-subj "$(openssl x509 -in "$PKI/cps-doctor/sign.crt.pem" -noout -subject -nameopt compat | sed 's/^subject=//')" 2>/dev/null
	printf 'keyUsage=critical,nonRepudiation\nbasicConstraints=critical,CA:FALSE\n' > evil.ext
	openssl x509 -req -in evil.csr -CA evil-ca.pem -CAkey evil-ca.key -CAcreateserial -days 30 \
		-extfile evil.ext -out evil.pem 2>/dev/null
) && mk prescription --key "$T/evil.key" --cert "$T/evil.pem" --chain "$T/evil-ca.pem" > "$T/p-evil.json"
check "x5c from an unknown CA (same subject): 422 bad_signature" \
	is "$(req cps-doctor POST /prescriptions "$T/p-evil.json") $(field 'd["error"]')" "422 bad_signature"
# The doctor's own signature key in a certificate of the right CA that expired yesterday.
$PY - "$PKI" "$T/expired.pem" <<'EOF'
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
pki, out = sys.argv[1:]
leaf = x509.load_pem_x509_certificate(open(pki + "/cps-doctor/sign.crt.pem", "rb").read())
ca = x509.load_pem_x509_certificate(open(pki + "/ca/intermediate.crt.pem", "rb").read())
ca_key = serialization.load_pem_private_key(open(pki + "/ca/intermediate.key.pem", "rb").read(), None)
now = datetime.datetime.utcnow()
ku = x509.KeyUsage(False, True, False, False, False, False, False, False, False)
c = (x509.CertificateBuilder().subject_name(leaf.subject).issuer_name(ca.subject)
     .public_key(leaf.public_key()).serial_number(x509.random_serial_number())
     .not_valid_before(now - datetime.timedelta(days=30)).not_valid_after(now - datetime.timedelta(days=1))
     .add_extension(ku, critical=True)
     .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
     .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf.public_key()), critical=False)
     .sign(ca_key, hashes.SHA256()))
open(out, "wb").write(c.public_bytes(serialization.Encoding.PEM))
EOF
mk prescription --key "$PKI/cps-doctor/sign.key.pem" --cert "$T/expired.pem" --chain "$PKI/cps-doctor/chain.pem" > "$T/p-expired.json"
check "signing certificate expired yesterday (right CA): 422 bad_signature, says expired" \
	is "$(req cps-doctor POST /prescriptions "$T/p-expired.json") $(field 'd["error"]+" "+str("expired" in d["message"])')" "422 bad_signature True"
mk prescription --key "$PKI/cps-doctor/sign.key.pem" --cert "$PKI/cps-doctor/sign.crt.pem" > "$T/p-leafonly.json"
check "x5c without the intermediate: 422 bad_signature" \
	is "$(req cps-doctor POST /prescriptions "$T/p-leafonly.json") $(field 'd["error"]')" "422 bad_signature"
$PY - "$T/p1.json" "$T/p-nox5c.json" <<'EOF'
import base64, json, sys
b = json.load(open(sys.argv[1]))
jws = base64.b64decode(b["signature"]["data"]).decode()
h, _, s = jws.split(".")
hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
del hdr["x5c"]
h = base64.urlsafe_b64encode(json.dumps(hdr).encode()).rstrip(b"=").decode()
b["signature"]["data"] = base64.b64encode(("%s..%s" % (h, s)).encode()).decode()
b["identifier"]["value"] = "urn:uuid:00000000-0000-4000-8000-000000000001"
json.dump(b, open(sys.argv[2], "w"))
EOF
check "JWS without x5c: 422 bad_signature" \
	is "$(req cps-doctor POST /prescriptions "$T/p-nox5c.json") $(field 'd["error"]')" "422 bad_signature"
check "no TLS client certificate: the handshake is refused" no_cert_refused
check "TLS 1.3 is not offered (a CPS3 has no RSA-PSS): a 1.3-only client fails" \
	is "$(curl -sS -o /dev/null -w '%{http_code}' --tlsv1.3 --cacert "$ERX_CA" --cert "$PKI/cps-doctor/auth.crt.pem" \
		--key "$PKI/cps-doctor/auth.key.pem" "$ERX_URL/prescriptions/$P1" 2>/dev/null)" 000
check "  TLS 1.2 is what a client gets" bash -c 'openssl s_client -connect "127.0.0.1:$0" -CAfile "$1" \
	-cert "$2/cps-doctor/auth.crt.pem" -key "$2/cps-doctor/auth.key.pem" < /dev/null 2>/dev/null |
	grep -q "Protocol *: TLSv1.2"' "$ERX_PORT" "$ERX_CA" "$PKI"

echo "# dispensations"
cat > "$T/items.json" <<'EOF'
[{"code":{"system":"http://data.esante.gouv.fr/ansm/medicament/codeCIP13","code":"3400930000011","display":"A TEST"},
  "dosage":"1/j","quantity":3,"unit":"boîte","substitution":true},
 {"code":{"system":"http://data.esante.gouv.fr/ansm/medicament/codeCIP13","code":"3400930000012","display":"B TEST"},
  "dosage":"2/j","quantity":2,"unit":"boîte","substitution":false}]
EOF
mk prescription $(signer cps-doctor) --items "$T/items.json" > "$T/p2.json"
req cps-doctor POST /prescriptions "$T/p2.json" > /dev/null
P2=$(field 'd["prescriptionId"]')
dispense() { # NAME LINES-JSON [HOLDER]: make $T/NAME.json
	echo "$2" > "$T/$1.lines"
	mk dispensation $(signer "${3:-cps-pharmacist}") --items "$T/items.json" --prescription "$P2" \
		--lines "$T/$1.lines" > "$T/$1.json"
}
dispense d-doc '[{"line":"1","quantity":1}]' cps-doctor
check "dispensation signed by a doctor: 403 wrong_signer" \
	is "$(req cps-doctor POST /dispensations "$T/d-doc.json") $(field 'd["error"]')" "403 wrong_signer"
dispense d1 '[{"line":"1","quantity":1}]'
check "first partial dispensation: 201" is "$(req cps-pharmacist POST /dispensations "$T/d1.json")" 201
D1=$(field 'd["dispensationId"]')
check "  ED- identifier, prescriptionId, remaining 1:2 2:2" \
	is "$(valid_id ED "$D1" && field 'd["prescriptionId"]+" "+" ".join(r["line"]+":"+str(r["quantity"]) for r in d["remaining"])')" \
	"$P2 1:2 2:2"
check "  X-Erx-Status partial" got_bundle cps-doctor "$P2" "$T/p2.json" partial
check "same dispensation again: 200 duplicate, same id" \
	is "$(req cps-pharmacist POST /dispensations "$T/d1.json") $(field 'd["status"]+" "+d["dispensationId"]')" "200 duplicate $D1"
dispense d-sub '[{"line":"2","quantity":1,"substitute":{"system":"http://data.esante.gouv.fr/ansm/medicament/codeCIP13","code":"3400930000099","display":"B GENERIQUE"}}]'
check "substitution on a line that forbids it: 422 substitution_not_allowed" \
	is "$(req cps-pharmacist POST /dispensations "$T/d-sub.json") $(field 'd["error"]')" "422 substitution_not_allowed"
dispense d2 '[{"line":"1","quantity":1,"substitute":{"system":"http://data.esante.gouv.fr/ansm/medicament/codeCIP13","code":"3400930000098","display":"A GENERIQUE"}},{"line":"2","quantity":2}]'
check "second partial dispensation (line 1 substituted, allowed): 201, remaining 1:1 2:0" \
	is "$(req cps-pharmacist POST /dispensations "$T/d2.json") $(field '" ".join(r["line"]+":"+str(r["quantity"]) for r in d["remaining"])')" "201 1:1 2:0"
dispense d3 '[{"line":"1","quantity":2}]'
check "one too many: 422 over_dispensed" \
	is "$(req cps-pharmacist POST /dispensations "$T/d3.json") $(field 'd["error"]')" "422 over_dispensed"
dispense d4 '[{"line":"2","quantity":1}]'
check "a line already complete: 422 over_dispensed" \
	is "$(req cps-pharmacist POST /dispensations "$T/d4.json") $(field 'd["error"]')" "422 over_dispensed"
dispense d5 '[{"line":"3","quantity":1}]'
check "a line the prescription does not have: 422 over_dispensed" \
	is "$(req cps-pharmacist POST /dispensations "$T/d5.json") $(field 'd["error"]')" "422 over_dispensed"
check "refused dispensations stored nothing: 2 dispensations listed" \
	is "$(req cps-doctor GET "/prescriptions/$P2/dispensations") $(field 'len(d["dispensations"])') $(field 'd["dispensations"][0]["dispensationId"]')" "200 2 $D1"
dispense d6 '[{"line":"1","quantity":1}]'
check "the last box: 201, remaining 1:0 2:0" \
	is "$(req cps-pharmacist POST /dispensations "$T/d6.json") $(field '" ".join(r["line"]+":"+str(r["quantity"]) for r in d["remaining"])')" "201 1:0 2:0"
check "  X-Erx-Status complete" got_bundle cps-doctor "$P2" "$T/p2.json" complete
P2save=$P2
P2=EP-0000-0000-0000
dispense d-unknown '[{"line":"1","quantity":1}]'
P2=$P2save
check "dispensation of an unknown prescription: 404 not_found" \
	is "$(req cps-pharmacist POST /dispensations "$T/d-unknown.json") $(field 'd["error"]')" "404 not_found"
check "dispensations of an unknown prescription: 404" is "$(req cps-pharmacist GET /prescriptions/EP-0000-0000-0000/dispensations)" 404

echo "# hostile bodies"
bodies() {
	$PY - "$T" <<'EOF'
import json, sys
t = sys.argv[1]
good = open(t + "/p1.json", "rb").read()
cases = {
    "notjson": b"garbage",
    "empty": b"",
    "array": b"[1,2,3]",
    "notbundle": b'{"resourceType":"Patient"}',
    "dupkey": b'{"resourceType":"Bundle","resourceType":"Bundle"}',
    "float": good.replace(b'"quantity": {\n', b'"quantity": {"x":1.5,\n', 1) if b'"quantity": {\n' in good else b'{"a":1.5}',
    "nan": b'{"a":NaN}',
    "deep": b"[" * 100000 + b"]" * 100000,
    "latin1": '{"a":"é"}'.encode("latin-1"),
    "surrogate": b'{"a":"\\ud800"}',
    "bigint": b'{"a":123456789012345678901234567890}',
    "nosig": json.dumps({k: v for k, v in json.loads(good).items() if k != "signature"}).encode(),
    "badb64": good.replace(b'"data": "', b'"data": "!!', 1),
    "noentry": json.dumps(dict(json.loads(good), entry=[])).encode(),
}
for k, v in cases.items():
    open("%s/bad-%s.json" % (t, k), "wb").write(v)
print(" ".join(cases))
EOF
}
for b in $(bodies); do
	check "body '$b': 400 malformed" is "$(req cps-doctor POST /prescriptions "$T/bad-$b.json") $(field 'd["error"]')" "400 malformed"
done
head -c $((1024 * 1024 + 10)) /dev/zero | tr '\0' ' ' > "$T/big.json"
check "body over 1 MiB: 413" is "$(req cps-doctor POST /prescriptions "$T/big.json")" 413
check "body over 1 MiB sent without Expect: 413" \
	is "$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$ERX_CA" --cert "$PKI/cps-doctor/auth.crt.pem" \
		--key "$PKI/cps-doctor/auth.key.pem" -H 'Expect:' --data-binary @"$T/big.json" \
		"$ERX_URL/prescriptions")" 413
check "no Content-Length (chunked): 411" \
	is "$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$ERX_CA" --cert "$PKI/cps-doctor/auth.crt.pem" \
		--key "$PKI/cps-doctor/auth.key.pem" -H 'Transfer-Encoding: chunked' --data-binary @"$T/p1.json" \
		"$ERX_URL/prescriptions")" 411
# raw CASE: one TLS connection, bytes of CASE sent, the status lines answered.
raw() {
	$PY - "$1" "$ERX_PORT" "$ERX_CA" "$PKI/cps-doctor/auth.crt.pem" "$PKI/cps-doctor/auth.key.pem" "$P1" <<'EOF'
import re, socket, ssl, sys
case, port, ca, crt, key, pid = sys.argv[1:]
ctx = ssl.create_default_context(cafile=ca)
ctx.load_cert_chain(crt, key)
inner = "GET /erx/v1/prescriptions/%s HTTP/1.1\r\nHost: x\r\n\r\n" % pid
req = {
    # a body the server does not read must not become the next request
    "smuggle": "POST /erx/v1/nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(inner), inner),
    "smuggle405": "PUT /erx/v1/prescriptions HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(inner), inner),
    "garbage": "\x01\x02 garbage\r\n\r\n",
    "badcl": "POST /erx/v1/prescriptions HTTP/1.1\r\nHost: x\r\nContent-Length: \xb2\r\nExpect: 100-continue\r\n\r\n",
    "keepalive": inner + inner,
}[case]
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(port)), timeout=10), server_hostname="127.0.0.1")
s.sendall(req.encode("latin-1"))
data = b""
while True:
    try:
        got = s.recv(65536)
    except (socket.timeout, ssl.SSLError, OSError):
        break
    if not got:
        break
    data += got
    if case == "keepalive" and data.count(b"HTTP/1.1 200") == 2 and data.endswith(b"}\n") or len(data) > 1 << 20:
        break
print(" ".join(re.findall(r"HTTP/1\.[01] (\d{3}) ", data.decode("utf-8", "replace"))))
EOF
}
check "a body sent to an unknown path is not read as a request: one 404" is "$(raw smuggle)" 404
check "a body sent with PUT is not read as a request: one 405" is "$(raw smuggle405)" 405
check "garbage request line: 400" is "$(raw garbage)" 400
check "Content-Length: a non-ASCII digit: 411" is "$(raw badcl)" 411
check "two requests on one connection (keep-alive): 200 200" is "$(raw keepalive)" "200 200"
# A client that connects and never speaks holds only its own thread.
exec 7<>"/dev/tcp/127.0.0.1/$ERX_PORT"
check "a silent connection does not block the others" is "$(req cps-doctor GET "/prescriptions/$P1")" 200
exec 7>&-
check "the service still answers after all that" is "$(req cps-doctor POST /prescriptions "$T/p1.json")" 200
check "no internal error, no traceback in the log" bash -c '! grep -q "Traceback\| 500 " "$0"' "$ERX_LOG"
check "the log holds ids, not the patient" bash -c 'grep -qF -- "$1" "$0" && ! grep -q "DURAND\|279035121518989" "$0"' "$ERX_LOG" "$P1"

echo "# concurrency"
mk prescription $(signer cps-doctor) > "$T/p3.json"
for i in 1 2 3 4 5 6 7 8; do
	curl -sS -o "$T/c$i.out" -w '%{http_code}\n' --max-time 20 --cacert "$ERX_CA" \
		--cert "$PKI/cps-doctor/auth.crt.pem" --key "$PKI/cps-doctor/auth.key.pem" \
		--data-binary "@$T/p3.json" "$ERX_URL/prescriptions" > "$T/c$i.code" &
done
wait
check "8 concurrent sends of one bundle: one 201, seven 200" \
	is "$(cat "$T"/c?.code | sort | uniq -c | tr -s ' ' | tr '\n' ';')" " 7 200; 1 201;"
check "  all with the same identifier" \
	is "$($PY -c 'import json,sys; print(len({json.load(open(f))["prescriptionId"] for f in sys.argv[1:]}))' "$T"/c?.out)" 1

echo '[{"code":{"system":"http://data.esante.gouv.fr/ansm/medicament/codeCIP13","code":"3400930000021","display":"C TEST"},"dosage":"1/j","quantity":3,"unit":"boîte","substitution":true}]' > "$T/items3.json"
mk prescription $(signer cps-doctor) --items "$T/items3.json" > "$T/p7.json"
req cps-doctor POST /prescriptions "$T/p7.json" > /dev/null
P7=$(field 'd["prescriptionId"]')
echo '[{"line":"1","quantity":1}]' > "$T/one.lines"
for i in 1 2 3 4 5 6; do
	mk dispensation $(signer cps-pharmacist) --items "$T/items3.json" --prescription "$P7" \
		--lines "$T/one.lines" > "$T/dc$i.json"
done
for i in 1 2 3 4 5 6; do
	curl -sS -o "$T/dc$i.out" -w '%{http_code}\n' --max-time 20 --cacert "$ERX_CA" \
		--cert "$PKI/cps-pharmacist/auth.crt.pem" --key "$PKI/cps-pharmacist/auth.key.pem" \
		--data-binary "@$T/dc$i.json" "$ERX_URL/dispensations" > "$T/dc$i.code" &
done
wait
check "6 concurrent dispensations of 1 box out of 3: three 201, three 422" \
	is "$(cat "$T"/dc?.code | sort | uniq -c | tr -s ' ' | tr '\n' ';')" " 3 201; 3 422;"
check "  the service holds exactly 3" \
	is "$(req cps-doctor GET "/prescriptions/$P7/dispensations") $(field 'len(d["dispensations"])')" "200 3"

echo "# test hook, restart"
check "hook: fail the next request with 503" is "$(echo '{"count":1,"status":503}' > "$T/hook.json"; req cps-doctor POST /_test/fail "$T/hook.json")" 200
mk prescription $(signer cps-doctor) > "$T/p4.json"
check "  the next request: 503 unavailable" \
	is "$(req cps-doctor POST /prescriptions "$T/p4.json") $(field 'd["error"]')" "503 unavailable"
check "  then 201 (nothing was stored by the failed one)" is "$(req cps-doctor POST /prescriptions "$T/p4.json")" 201
mk prescription $(signer cps-doctor) > "$T/p5.json"
echo '{"count":1,"status":503,"after":true}' > "$T/hook2.json"
req cps-doctor POST /_test/fail "$T/hook2.json" > /dev/null
check "hook after:true: stored, then 503 (answer lost)" is "$(req cps-doctor POST /prescriptions "$T/p5.json")" 503
check "  resent: 200 duplicate" is "$(req cps-doctor POST /prescriptions "$T/p5.json") $(field 'd["status"]')" "200 duplicate"
echo '{"count":1,"status":503,"delay_ms":3000}' > "$T/hook3.json"
req cps-doctor POST /_test/fail "$T/hook3.json" > /dev/null
check "hook delay_ms: a client with a 1 s timeout gives up" \
	is "$(curl -sS -o /dev/null -w '%{http_code}' --max-time 1 --cacert "$ERX_CA" --cert "$PKI/cps-doctor/auth.crt.pem" \
		--key "$PKI/cps-doctor/auth.key.pem" "$ERX_URL/prescriptions/$P1" 2>/dev/null)" 000
check "  the next request is served at once" is "$(req cps-doctor GET "/prescriptions/$P1")" 200
old_url=$ERX_URL
check "stop" "$SVC/stop" "$T/svc"
check "  the service is gone" bash -c '! kill -0 "$0" 2>/dev/null' "$ERX_PID"
check "  service down: the client cannot connect" is "$(req cps-doctor GET "/prescriptions/$P1")" 000
check "start again on the same DIR" "$SVC/start" "$T/svc" --pki "$PKI"
. "$T/svc/env"
check "  same URL" is "$ERX_URL" "$old_url"
check "  the data is kept: GET 200, same bytes, X-Erx-Status open" \
	got_bundle cps-doctor "$P1" "$T/p1.json" open
check "  duplicates still recognized" is "$(req cps-pharmacist POST /dispensations "$T/d1.json") $(field 'd["dispensationId"]')" "200 $D1"
check "  without --test-hooks the hook does not exist: 404" is "$(req cps-doctor POST /_test/fail "$T/hook.json")" 404
check "stop, stop again" bash -c '"$0/stop" "$1" && "$0/stop" "$1"' "$SVC" "$T/svc"
check "start --allow-prescriber Pharmacien" "$SVC/start" "$T/svc" --pki "$PKI" --allow-prescriber Pharmacien
. "$T/svc/env"
check "  now the pharmacist may prescribe: 201" is "$(req cps-pharmacist POST /prescriptions "$T/p-ph.json")" 201
mk prescription $(signer cps-doctor) > "$T/p6.json"
check "  and the doctor may not: 403" is "$(req cps-doctor POST /prescriptions "$T/p6.json")" 403
check "stop" "$SVC/stop" "$T/svc"

echo "# structural fuzz"
seed=${ERX_FUZZ_SEED:-$RANDOM}
check "1000 mutated prescriptions and dispensations, 200 mangled JWS: only precise errors (ERX_FUZZ_SEED=$seed)" \
	$PY -B "$SVC/fuzz_bundles.py" "$seed" 1000 "$T/p1.json" "$T/d1.json" "$PKI/ca/root.crt.pem"

echo "# JCS"
check "RFC 8785 3.2.3 sorting and escaping" $PY -B -c '
import sys; sys.path.insert(0, sys.argv[1])
from server import jcs
v = {"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
     "1": "One", "\U0001f600": "Emoji: Grinning Face", "\u0080": "Control\u001f\u007f\"\\/",
     "\u00f6": "Latin Small Letter O With Diaeresis", "n": [None, True, False, -0, 9007199254740991]}
want = ("{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"n\":[null,true,false,0,9007199254740991],"
        "\"\u0080\":\"Control\\u001f\u007f\\\"\\\\/\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\","
        "\"\u20ac\":\"Euro Sign\",\"\U0001f600\":\"Emoji: Grinning Face\","
        "\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}")
got = jcs(v).decode()
assert got == want, got' "$SVC"

tb_summary || { keep=1; cp "$ERX_LOG" "$T/erx.log.copy" 2>/dev/null; exit 1; }
