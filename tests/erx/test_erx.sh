#!/bin/bash
# santecard-erx end to end, in the private test bed, against the e-prescription
# stand-in (tests/standins/erx, started and stopped here inside each bed's
# network namespace; its directory and database live outside the beds and
# persist from one to the next):
#   doctor    --cards "cps-doctor vitale-family": prescribe from the carte
#             Vitale (id, PNG that zbarimg decodes, terminal QR), wrong PIN
#             (one try used, nothing sent, nothing queued), service down then
#             back (outbox, exactly once), transient 503 (test hook), a chain
#             from another CA refused by the service, a doctor cannot dispense
#   pulled    same cards, --timing realistic: the CPS pulled during PSO CDS
#   othercard --cards "cps-doctor none" with certificates of another CA: the
#             stand-in refuses the TLS client, nothing kept
#   keypad    --cards "cps-doctor none" behind a keypad reader (ifd_pinpad.so)
#   pharmacist --cards "cps-pharmacist none": fetch --qr, verified, dispense
#             partial, the rest, more refused; tampered bundle; unknown CA; a
#             pharmacist cannot prescribe
here=$(cd "$(dirname "$0")" && pwd)
self="$here/$(basename "$0")"
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
if [ -z "${TESTBED_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test bed needs root for its private namespaces"
		exit 77
	fi
	for t in zbarimg sqlite3 curl; do
		command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
	done
	/usr/bin/python3 -c 'import jwcrypto, cryptography' 2>/dev/null ||
		{ echo "SKIP: python3-jwcrypto is not installed (the stand-in needs it)"; exit 77; }
	ERX_WORK=$(mktemp -d /tmp/santecard-erx-test.XXXXXX) || exit 99
	export ERX_WORK
	log=$ERX_WORK/all.log
	rc=0
	# another test IGC-Santé hierarchy, for a doctor's card only
	bash "$top_srcdir/tests/pki/make-pki" --profiles "$top_srcdir/firmware/profiles" \
		--out "$ERX_WORK/otherpki" --quiet || exit 99
	export ERX_REAL_PKI=${SANTECARD_PKI_DIR:-$top_builddir/pki}
	: "${VPCD_DRIVER:=/usr/lib/pcsc/drivers/serial/libifdvpcd.so}"
	wrapper="$top_builddir/tests/integration/.libs/ifd_pinpad.so"
	for part in ${ERX_PARTS:-doctor pulled othercard keypad pharmacist}; do
		pki=$ERX_REAL_PKI
		env=()
		case $part in
		doctor) cards="cps-doctor vitale-family"; sim= ;;
		pulled) cards="cps-doctor vitale-family"
			sim="--timing realistic --trace $ERX_WORK/trace" ;;
		othercard) cards="cps-doctor none"; sim=; pki=$ERX_WORK/otherpki ;;
		keypad) cards="cps-doctor none"; sim="--trace $ERX_WORK/trace.keypad"
			if [ ! -f "$wrapper" ]; then
				echo "== keypad: skipped, no $wrapper (make check builds it)"
				continue
			fi
			echo 1234 > "$ERX_WORK/keys"
			env=(STC_PINPAD_INNER="$VPCD_DRIVER" STC_PINPAD_KEYS="$ERX_WORK/keys"
			     VPCD_DRIVER="$wrapper") ;;
		pharmacist) cards="cps-pharmacist none"; sim= ;;
		esac
		echo "== $part ($cards)"
		env ${env[@]+"${env[@]}"} SANTECARD_PKI_DIR=$pki TESTBED_SIM_ARGS="$sim" ERX_PART=$part \
			"$here/../integration/testbed" --cards "$cards" \
			"$self" 2>&1 | tee -a "$log"
		[ "${PIPESTATUS[0]}" = 0 ] || rc=1
	done
	# the stand-in is gone with the beds' PID namespaces; its files go now
	[ $rc = 0 ] && rm -rf "$ERX_WORK" || echo "kept: $ERX_WORK"
	exit $rc
fi

# ------------------------------------------------------------- inside a bed
. "$here/../integration/lib.sh"
W=$ERX_WORK
S=$W/standin
PKI=$SANTECARD_PKI_DIR
ERX=santecard-erx
# the tool's state (outbox) and configuration stay in the work directory
export XDG_STATE_HOME=$W/state XDG_CONFIG_HOME=$W/config
OUTBOX=$XDG_STATE_HOME/santecard/erx/outbox
# TLS with the card: the module of this build (the installed one is the default)
export SANTECARD_PKCS11_MODULE=$top_builddir/pkcs11/.libs/santecard-pkcs11.so

standin_start() { "$top_srcdir/tests/standins/erx/start" "$S" --test-hooks > /dev/null &&
	. "$S/env" && export SANTECARD_ERX_URL=$ERX_URL SANTECARD_ERX_CA=$ERX_CA; }
standin_stop() { "$top_srcdir/tests/standins/erx/stop" "$S"; }
rows() { sqlite3 "$ERX_DB" "SELECT COUNT(*) FROM $1"; }
tries() { santecard pin status --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["pin"]["tries_left"])'; }
outbox_count() { ls "$OUTBOX"/*.json 2>/dev/null | wc -l; }
hook_fail() {
	curl -sS --cacert "$ERX_CA" --cert "$PKI/$1/auth.crt.pem" --key "$PKI/$1/auth.key.pem" \
		-H 'Content-Type: application/json' -d "{\"count\":$2,\"status\":$3}" \
		"$ERX_URL/_test/fail" > /dev/null
}

cat > "$W/items.json" <<'EOF'
[{"code":{"system":"http://data.esante.gouv.fr/ansm/medicament/codeCIP13","code":"3400935955838",
  "display":"AMOXICILLINE 1 g, comprimé"},"dosage":"1 comprimé matin et soir pendant 6 jours",
  "quantity":2,"unit":"boîte","substitution":true},
 {"code":{"system":"http://data.esante.gouv.fr/ansm/medicament/codeCIP13","code":"3400930000001",
  "display":"PARACÉTAMOL 500 mg"},"dosage":"si douleur, 3 par jour au plus",
  "quantity":1,"unit":"boîte","substitution":false}]
EOF
cat > "$W/patient.json" <<'EOF'
{"resourceType":"Patient","identifier":[{"system":"urn:oid:1.2.250.1.213.1.4.10",
 "value":"290056912321080"}],"name":[{"family":"FICHIER-TEST","given":["ALICE"]}],
 "gender":"female","birthDate":"1990-05-20"}
EOF

case $ERX_PART in
doctor)
	standin_start || { echo "FAILED: the stand-in did not start"; exit 1; }
	cd "$W" || exit 1

	# -- prescribe from the carte Vitale
	$ERX prescribe --patient vitale --beneficiary 1 --items items.json --pin-fd 3 \
		--qr-out presc.png > p1.out 2> p1.err 3<<<1234
	rc=$?
	check "prescribe: exit 0" test $rc = 0 || cat p1.err
	id=$(head -n 1 p1.out)
	check "prescribe: prints an EP- id" grep -Eqx 'EP-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z*~$=]{4}' <<<"$id"
	echo "$id" > id1
	check "prescribe: the service stored it" test "$(sqlite3 "$ERX_DB" "SELECT COUNT(*) FROM prescriptions WHERE id='$id'")" = 1
	check "prescribe: the PNG decodes to the id (zbarimg)" \
		test -n "$id" -a "$(zbarimg -q --raw presc.png 2>/dev/null)" = "$id"
	check "prescribe: a terminal QR code (half blocks)" grep -q '▀' p1.out
	body=$(sqlite3 "$ERX_DB" "SELECT body FROM prescriptions WHERE id='$id'")
	check "prescribe: the patient is the Vitale's first beneficiary, INS profile" \
		/usr/bin/python3 -c '
import json,sys
b=json.loads(sys.argv[1])
p=[e["resource"] for e in b["entry"] if e["resource"]["resourceType"]=="Patient"][0]
d=[e["resource"] for e in b["entry"] if e["resource"]["resourceType"]=="Practitioner"][0]
assert p["meta"]["profile"]==["https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-ins"]
assert p["identifier"][0]["system"]=="urn:oid:1.2.250.1.213.1.4.10"
assert p["name"][0]["family"] and p["gender"] in ("male","female")
assert d["identifier"][0]=={"system":"urn:oid:1.2.250.1.71.4.2.1","value":"899700012345"}
assert d["qualification"][0]["code"]["text"]=="Médecin"
assert b["signature"]["sigFormat"]=="application/jose"' "$body"
	check "prescribe: the PIN counter is back to 3" test "$(tries)" = 3
	check "prescribe: the card is left unverified" \
		sh -c 'santecard pin status --json | grep -q "\"verified\":false"'

	# -- several beneficiaries and no choice: usage error before any PIN
	$ERX prescribe --patient vitale --items items.json --pin-fd 3 > /dev/null 2> ben.err 3<<<1234
	check "prescribe: several beneficiaries need --beneficiary (exit 2)" test $? = 2
	check "prescribe: the beneficiaries are listed" grep -q -- '--beneficiary N' ben.err

	# -- a wrong PIN: exit 5, exactly one try, nothing sent, nothing queued
	n0=$(rows prescriptions)
	$ERX prescribe --patient patient.json --items items.json --pin-fd 3 > wp.out 2> wp.err 3<<<9999
	check "wrong PIN: exit 5" test $? = 5
	check "wrong PIN: message with the tries left" grep -q 'wrong PIN, 2 tries left' wp.err
	check "wrong PIN: one try used" test "$(tries)" = 2
	check "wrong PIN: nothing sent" test "$(rows prescriptions)" = "$n0"
	check "wrong PIN: nothing queued" test "$(outbox_count)" = 0
	check "wrong PIN: no id printed" test ! -s wp.out

	# -- service down: queued (the right PIN resets the counter)
	standin_stop
	$ERX prescribe --patient patient.json --items items.json --pin-fd 3 --quiet \
		> down.out 2> down.err 3<<<1234
	check "service down: exit 21" test $? = 21
	check "service down: says the bundle is kept" grep -q 'kept in the outbox' down.err
	check "service down: one bundle in the outbox" test "$(outbox_count)" = 1
	f=$(ls "$OUTBOX"/*.json)
	check "outbox: file 0600, directory 0700" \
		test "$(stat -c %a "$f")" = 600 -a "$(stat -c %a "$OUTBOX")" = 700
	check "outbox list: the prescription" grep -q 'prescription' <($ERX outbox list)
	cp "$f" again.json
	standin_start || { echo "FAILED: the stand-in did not restart"; exit 1; }
	n0=$(rows prescriptions)
	$ERX outbox send --pin-fd 3 > send1.out 2> send1.err 3<<<1234
	check "outbox send: exit 0" test $? = 0 || cat send1.err
	check "outbox send: delivered, an id" grep -Eq '^sent urn:uuid:.* prescription EP-.* created$' send1.out
	check "outbox send: the outbox is empty" test "$(outbox_count)" = 0
	check "outbox send: one more row" test "$(rows prescriptions)" = $((n0 + 1))
	$ERX outbox send --pin-fd 3 > send2.out 2>&1 3<<<1234
	check "outbox send again: nothing to send, exit 0" test $? = 0
	check "outbox send again: says so" grep -q 'Nothing to send' send2.out
	# the same bundle delivered twice (a crash after the POST): the service dedups
	mkdir -p "$OUTBOX" && cp again.json "$OUTBOX/$(basename "$f")"
	$ERX outbox send --pin-fd 3 > send3.out 2>&1 3<<<1234
	check "outbox send of a delivered bundle: duplicate" grep -q ' duplicate$' send3.out
	bid=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["identifier"]["value"])' again.json)
	check "exactly one row for that bundle" test "$(sqlite3 "$ERX_DB" "SELECT COUNT(*) FROM prescriptions WHERE bundle_id='$bid'")" = 1
	sqlite3 "$ERX_DB" "SELECT id FROM prescriptions WHERE bundle_id='$bid'" > id2

	# -- transient 503 from the stand-in's hook: queued, then delivered
	hook_fail cps-doctor 1 503
	$ERX prescribe --patient patient.json --items items.json --pin-fd 3 --quiet \
		> t.out 2> t.err 3<<<1234
	check "503: exit 21, queued" test $? = 21 -a "$(outbox_count)" = 1
	check "503: the message names it" grep -q '503 unavailable' t.err
	$ERX outbox send --pin-fd 3 > t2.out 2>&1 3<<<1234
	check "503: outbox send delivers it" test $? = 0 -a "$(outbox_count)" = 0

	# -- a 4xx on outbox send: the bundle goes to rejected/ with the reason
	hook_fail cps-doctor 1 503
	$ERX prescribe --patient patient.json --items items.json --pin-fd 3 --quiet \
		> r.out 2> r.err 3<<<1234
	check "queued for the rejection case" test $? = 21 -a "$(outbox_count)" = 1
	name=$(basename "$(ls "$OUTBOX"/*.json)")
	hook_fail cps-doctor 1 400
	$ERX outbox send --pin-fd 3 > r2.out 2> r2.err 3<<<1234
	rc=$?
	check "outbox send, 400: exit 20" test $rc = 20
	check "outbox send, 400: moved to rejected/ with the reason" \
		sh -c "test -f '$OUTBOX/rejected/$name' && grep -q 400 '$OUTBOX/rejected/$name.reason'"
	check "outbox send, 400: the outbox is empty, list says so" \
		sh -c "test $(outbox_count) = 0 && $ERX outbox list | grep -q 'The outbox is empty'"

	# -- the PIN from the terminal (a pseudo-terminal, typed after the prompt):
	# prompted, not echoed
	/usr/bin/python3 - "$(command -v $ERX)" > tty.out 2>&1 <<'PYEOF'
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "prescribe", "--patient", "patient.json",
                           "--items", "items.json", "--quiet"])
out, typed, end = b"", False, time.monotonic() + 60
while time.monotonic() < end:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            d = os.read(fd, 4096)
        except OSError:
            break
        if not d:
            break
        out += d
    if not typed and b"CPS PIN: " in out:
        time.sleep(0.2)          # the echo is off by now: the prompt comes after
        os.write(fd, b"1234\n")
        typed = True
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
print("exit=%d" % os.waitstatus_to_exitcode(st))
PYEOF
	check "terminal PIN: exit 0" grep -q '^exit=0' tty.out || cat tty.out
	check "terminal PIN: prompted" grep -q 'CPS PIN: ' tty.out
	check "terminal PIN: not echoed" sh -c "! grep -q 1234 tty.out"
	check "terminal PIN: an id" grep -Eq 'EP-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z*~$=]{4}' tty.out

	# -- x5c with an intermediate from another CA: the stand-in may take it
	# (it trusts the intermediate it knows, whatever x5c says); then the
	# pharmacist's check, which builds the chain from x5c, refuses it (below)
	openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem -days 2 \
		-subj "/CN=OTHER TEST CA" 2>/dev/null
	$ERX prescribe --patient patient.json --items items.json --pin-fd 3 --chain other.pem \
		--quiet > bc.out 2> bc.err 3<<<1234
	rc=$?
	if [ $rc = 0 ]; then
		head -n 1 bc.out > id3
		check "foreign x5c chain: accepted by the stand-in (checked at fetch)" test -s id3
	else
		check "foreign x5c chain: refused by the stand-in, bad_signature" \
			sh -c "test $rc = 20 && grep -q bad_signature bc.err"
	fi
	check "foreign x5c chain: nothing queued" test "$(outbox_count)" = 0

	# -- a doctor cannot dispense
	printf '[{"line":"1","quantity":1}]\n' > one.json
	$ERX dispense --id "$id" --lines one.json --pin-fd 3 > dd.out 2> dd.err 3<<<1234
	check "doctor dispenses: refused, exit 20" test $? = 20
	check "doctor dispenses: wrong_signer, explained" \
		sh -c "grep -q wrong_signer dd.err && grep -q 'only a pharmacist dispenses' dd.err"

	# -- bad input: precise errors before any card use
	echo '[{"code":{"system":"s","code":"c","display":"d"},"dosage":"x","quantity":0,"unit":"u"}]' > bad.json
	$ERX prescribe --patient patient.json --items bad.json --pin-fd 3 > /dev/null 2> bad.err 3<<<1234
	rc=$?
	check "bad items: exit 2" test $rc = 2
	check "bad items: the member named" grep -q 'item 1: "quantity"' bad.err
	check "bad items: no try used" test "$(tries)" = 3
	$ERX fetch --id EP-0000-0000-0001 --pin-fd 3 > /dev/null 2> badid.err 3<<<1234
	check "bad id: exit 2" test $? = 2
	$ERX prescribe --patient patient.json --items items.json --url http://x > /dev/null 2>&1
	check "http:// refused: exit 2" test $? = 2
	standin_stop
	;;
pulled)
	standin_start || { echo "FAILED: the stand-in did not start"; exit 1; }
	cd "$W" || exit 1
	trace=$W/trace
	n0=$(rows prescriptions)
	start=$(wc -l < "$trace")
	$ERX prescribe --patient patient.json --items items.json --pin-fd 3 --quiet \
		> pull.out 2> pull.err 3<<<1234 &
	pid=$!
	seen=0
	for _ in $(seq 3000); do
		if tail -n +$((start + 1)) "$trace" | grep -q 'C> 00 2A 9E 9A'; then seen=1; break; fi
		sleep 0.005
	done
	tb_card remove 0 > /dev/null
	wait $pid
	rc=$?
	check "pulled: the PSO CDS was under way" test $seen = 1
	check "pulled: exit 10" test $rc = 10 || cat pull.err
	check "pulled: says the card was removed, nothing sent" grep -q 'removed during the signature' pull.err
	check "pulled: nothing sent" test "$(rows prescriptions)" = "$n0"
	check "pulled: nothing queued" test "$(outbox_count)" = 0
	check "pulled: no id printed" test ! -s pull.out
	tb_card insert 0 > /dev/null
	standin_stop
	;;
othercard)
	# a CPS whose certificates come from another CA (its own test PKI): the
	# stand-in refuses its TLS client certificate; nothing is kept
	"$top_srcdir/tests/standins/erx/start" "$S" --pki "$ERX_REAL_PKI" > /dev/null &&
		. "$S/env" && export SANTECARD_ERX_URL=$ERX_URL SANTECARD_ERX_CA=$ERX_CA ||
		{ echo "FAILED: the stand-in did not start"; exit 1; }
	cd "$W" || exit 1
	n0=$(rows prescriptions)
	$ERX prescribe --patient patient.json --items items.json --pin-fd 3 --quiet \
		> oc.out 2> oc.err 3<<<1234
	rc=$?
	check "a CPS of another CA: refused at TLS, exit 23" test $rc = 23 || cat oc.err
	check "a CPS of another CA: nothing stored" test "$(rows prescriptions)" = "$n0"
	check "a CPS of another CA: nothing queued" test "$(outbox_count)" = 0
	standin_stop
	;;
keypad)
	# a reader with a keypad (tests/integration/ifd_pinpad.so): the PIN is typed
	# there, no --pin-fd, no terminal; the module logs in on the keypad too
	standin_start || { echo "FAILED: the stand-in did not start"; exit 1; }
	cd "$W" || exit 1
	$ERX prescribe --patient patient.json --items items.json --quiet > kp.out 2> kp.err < /dev/null
	rc=$?
	check "keypad: prescribe, exit 0" test $rc = 0 || cat kp.err
	check "keypad: an id" grep -Eqx 'EP-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z*~$=]{4}' kp.out
	check "keypad: the user was told to type on it" grep -q "reader's keypad" kp.out
	check "keypad: the PIN reached the card from the keypad (VERIFY with 4 digits)" \
		grep -q '> 00 20 00 01 04 \[4 bytes masked\]' "$W/trace.keypad"
	echo "  (VERIFY commands from the keypad for one prescription: $(grep -c "> 00 20 00 01 04" "$W/trace.keypad"))"
	echo 9999 > "$W/keys"
	$ERX prescribe --patient patient.json --items items.json --quiet > kw.out 2> kw.err < /dev/null
	check "keypad: a wrong PIN, exit 5" test $? = 5
	check "keypad: one try used" test "$(tries)" = 2
	echo 1234 > "$W/keys"
	standin_stop
	;;
pharmacist)
	standin_start || { echo "FAILED: the stand-in did not start"; exit 1; }
	cd "$W" || exit 1
	id=$(cat id1)
	$ERX fetch --qr presc.png --pin-fd 3 > f1.out 2> f1.err 3<<<1234
	check "fetch --qr: exit 0" test $? = 0 || cat f1.err
	check "fetch: the signature is valid, by the doctor" \
		grep -q 'Signature:   valid, by JEANNE MEDECIN-TEST (Médecin, national id 899700012345)' f1.out
	check "fetch: the id and the status" grep -qxF "Prescription $id (open)" f1.out
	check "fetch: the lines" sh -c "grep -q 'AMOXICILLINE 1 g' f1.out && grep -q '2 boîte prescribed, 0 dispensed, 2 remaining' f1.out"
	$ERX fetch --id "$id" --json --pin-fd 3 > f1.json 2>/dev/null 3<<<1234
	check "fetch --json: verified, open, two lines" /usr/bin/python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
assert d["verified"] is True and d["status"]=="open", d
assert d["prescriber"]["nationalId"]=="899700012345"
assert [l["remaining"] for l in d["lines"]]==[2,1]
assert d["patient"]["ins"]' f1.json

	# -- dispense partially, then the rest, then more
	printf '[{"line":"1","quantity":1}]\n' > part.json
	$ERX dispense --id "$id" --lines part.json --pin-fd 3 > d1.out 2> d1.err 3<<<1234
	check "dispense partial: exit 0" test $? = 0 || cat d1.err
	check "dispense partial: acknowledged, line 1: 1 remaining" \
		sh -c "grep -qF ' recorded for $id (created)' d1.out && grep -q '^Dispensation ED-' d1.out && grep -q 'Line 1: 1 remaining' d1.out"
	$ERX fetch --id "$id" --pin-fd 3 > f2.out 2>&1 3<<<1234
	check "fetch after: partial" grep -qxF "Prescription $id (partial)" f2.out
	printf '[{"line":"1","quantity":1,"substitute":{"system":"http://data.esante.gouv.fr/ansm/medicament/codeCIP13","code":"3400936000000","display":"AMOXICILLINE GENERIQUE 1 g"}},{"line":"2","quantity":1}]\n' > rest.json
	$ERX dispense --qr presc.png --lines rest.json --json --pin-fd 3 > d2.out 2> d2.err 3<<<1234
	check "dispense the rest (with a substitution): exit 0" test $? = 0 || cat d2.err
	check "dispense the rest: nothing remains" /usr/bin/python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
assert d["status"]=="created" and all(r["quantity"]==0 for r in d["remaining"]), d' d2.out
	$ERX dispense --id "$id" --lines part.json --pin-fd 3 > d3.out 2> d3.err 3<<<1234
	check "dispense more: refused, exit 20" test $? = 20
	check "dispense more: over_dispensed" grep -q over_dispensed d3.err
	$ERX fetch --id "$id" --pin-fd 3 > f3.out 2>&1 3<<<1234
	check "fetch after: complete" grep -qxF "Prescription $id (complete)" f3.out
	check "the service holds two dispensations" test "$(sqlite3 "$ERX_DB" "SELECT COUNT(*) FROM dispensations WHERE prescription_id='$id'")" = 2
	printf '[{"line":"2","quantity":1,"substitute":{"system":"s","code":"c","display":"d"}}]\n' > nosub.json
	$ERX dispense --id "$(cat id2)" --lines nosub.json --pin-fd 3 > ns.out 2> ns.err 3<<<1234
	rc=$?
	check "substitution where it is not allowed: exit 2, before signing" test $rc = 2
	check "substitution not allowed: said" grep -q 'did not allow substitution' ns.err

	# -- a tampered bundle in the service's database
	id2=$(cat id2)
	/usr/bin/python3 - "$ERX_DB" "$id2" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
body = db.execute("SELECT body FROM prescriptions WHERE id=?", (sys.argv[2],)).fetchone()[0]
if isinstance(body, str):
    body = body.encode()
new = body.replace(b'"value":2,', b'"value":20,', 1)
assert new != body
db.execute("UPDATE prescriptions SET body=? WHERE id=?", (new, sys.argv[2]))
db.commit()
EOF
	$ERX fetch --id "$id2" --pin-fd 3 > tp.out 2> tp.err 3<<<1234
	check "tampered: exit 22" test $? = 22
	check "tampered: NOT VALID, changed after signing" grep -q 'NOT VALID: the signature does not match' tp.err
	check "tampered: nothing shown as valid" test ! -s tp.out

	# -- verification against a CA that is not the chain's
	$ERX fetch --id "$id" --ca-certs "$PKI/cps-doctor/auth.crt.pem" --pin-fd 3 > uc.out 2> uc.err 3<<<1234
	check "unknown CA: exit 22" test $? = 22
	check "unknown CA: not trusted" grep -q "certificate is not trusted" uc.err
	check "unknown CA: nothing shown" test ! -s uc.out

	# -- the prescription whose x5c holds another CA's intermediate
	if [ -s id3 ]; then
		$ERX fetch --id "$(cat id3)" --pin-fd 3 > fx.out 2> fx.err 3<<<1234
		rc=$?
		check "foreign x5c chain: fetch refuses it, exit 22" test $rc = 22
		check "foreign x5c chain: unknown certificate authority" grep -q 'unknown certificate authority' fx.err
	fi

	# -- a pharmacist cannot prescribe
	$ERX prescribe --patient patient.json --items items.json --pin-fd 3 > pp.out 2> pp.err 3<<<1234
	check "pharmacist prescribes: refused, exit 20" test $? = 20
	check "pharmacist prescribes: wrong_signer" grep -q wrong_signer pp.err
	check "PIN counter intact" test "$(tries)" = 3
	standin_stop
	;;
esac
tb_summary
