#!/bin/bash
# santecard-vitale read through the real PC/SC stack (pcscd + vpcd +
# santecard-sim): text, --json, --fhir and --hl7 of the simulated vitale-family
# card checked field by field against its profile (an independent JSON parser:
# python3), and every documented exit code: no service, no reader, no card,
# not a Vitale card (CPS, another card), unreadable (corrupt TLV), wrong NIR key.
# Four test beds: "vitale-family cps-doctor", "vitale-corrupt vitale-badkey",
# "readertest vitale1", and a card with 19 beneficiaries made here.
here=$(cd "$(dirname "$0")" && pwd)
self="$here/$(basename "$0")"
if [ -z "${TESTBED_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test bed needs root for its private namespaces"
		exit 77
	fi
	log=$(mktemp) || exit 99
	# vitale-badkey holds a NIR with a wrong key: tests/unit/check_nir forbids
	# that in firmware/profiles, so it lives here, next to copies of the others
	profiles=$(mktemp -d) || exit 99
	cp "$here/../../firmware/profiles/"*.profile "$profiles/" || exit 99
	cat > "$profiles/vitale-badkey.profile" <<'EOF2'
# vitale-badkey - Vitale 2 card with two beneficiaries; the second one's NIR has a
# wrong key (80 would be right, the card says 81). nir_bad_key_ok lets the
# simulator write it (docs/SIMULATOR-VITALE.md). Fictitious people.
card = vitale2
card.validity = 20210301
beneficiary.1.surname = BONNECLE-TEST
beneficiary.1.given = ALICE
beneficiary.1.birth = 19900520
beneficiary.1.nir = 290056912321089
beneficiary.2.surname = MAUVAISECLE-TEST
beneficiary.2.given = BRUNO
beneficiary.2.birth = 19850612
beneficiary.2.nir = 185067511512381
beneficiary.2.nir_bad_key_ok = yes
EOF2
	# a full family card: 19 beneficiaries (the most a card holds), files of
	# 1266 and 361 bytes, more than one READ BINARY of 256 bytes each
	{
		echo "card = vitale2"
		echo "card.validity = 20220101"
		for i in $(seq 19); do
			n13=1850675115$(printf '%03d' "$i")
			printf 'beneficiary.%d.surname = NOMBREUX-TEST\nbeneficiary.%d.given = ENFANT%d\n' "$i" "$i" "$i"
			printf 'beneficiary.%d.birth = 19850612\nbeneficiary.%d.nir = %s%02d\n' "$i" "$i" \
				"$n13" $((97 - 10#$n13 % 97))
		done
	} > "$profiles/vitale-nineteen.profile"
	rc=0
	for part in family bad other big; do
		case $part in
		family) cards="vitale-family cps-doctor" ;;
		bad) cards="vitale-corrupt vitale-badkey" ;;
		other) cards="readertest vitale1" ;;
		big) cards="vitale-nineteen none" ;;
		esac
		SANTECARD_PROFILE_DIR=$profiles VREAD_PART=$part "$here/testbed" --cards "$cards" "$self" |
			tee -a "$log" || rc=1
	done
	rm -rf "$profiles"
	p=0 f=0 parts=0
	while read -r a _ b _; do
		p=$((p + a)) f=$((f + b)) parts=$((parts + 1))
	done < <(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log")
	rm -f "$log"
	[ "$parts" = 4 ] || { f=$((f + 1)); rc=1; }
	echo "$p passed, $f failed"
	[ "$rc" = 0 ] && [ "$f" = 0 ]
	exit $?
fi
. "$here/lib.sh"
PY=/usr/bin/python3
T=$TESTBED_DIR
R0='Virtual PCD 00 00'
R1='Virtual PCD 00 01'

# run NAME EXPECTED-RC ARGS...: santecard-vitale ARGS, stdout in $T/out, stderr in $T/err
run() {
	local name=$1 want=$2 rc
	shift 2
	santecard-vitale "$@" > "$T/out" 2> "$T/err"
	rc=$?
	check "$name (exit $want)" test "$rc" = "$want" || { echo "    got $rc"; cat "$T/err"; }
}
# no_crash: nothing was killed by a signal, no sanitizer report
no_crash() { ! grep -q -E 'AddressSanitizer|runtime error|Segmentation' "$T/err"; }

case $VREAD_PART in
family)
	run "read: text" 0 read
	check "text: the three beneficiaries, Corsican NIR grouped" $PY - "$T/out" <<'PYEOF'
import sys
t = open(sys.argv[1], encoding="utf-8").read()
for s in ["Card:   carte Vitale 2", "Beneficiaries: 3", "1. MARTIN-TEST PIERRE",
          "2. MARTIN-TEST SOPHIE", "3. MARTIN-TEST LÉA", "Birth date:  14/03/1979",
          "NIR:         2 81 11 2A 004 018 15 (key checked)",
          "INS:         1.2.250.1.213.1.4.10, identity not qualified"]:
    assert s in t, s
PYEOF
	run "read --json" 0 read --json
	check "json: schema 1, one line, every field as the profile says" $PY - "$T/out" <<'PYEOF'
import json, sys
raw = open(sys.argv[1], encoding="utf-8").read()
assert raw.count("\n") == 1 and raw.endswith("\n")
d = json.loads(raw)
assert d["schema"] == 1 and d["event"] == "card", d
assert d["reader"] == "Virtual PCD 00 00"
assert d["card"] == {"type": "vitale2", "name": "carte Vitale 2", "atr": "3B751300004909EA9000"}
assert d["nir_errors"] == 0
b = d["beneficiaries"]
want = [("MARTIN-TEST", "PIERRE", "19790314", "1979-03-14", "179036912304535"),
        ("MARTIN-TEST", "SOPHIE", "19811102", "1981-11-02", "281112A00401815"),
        ("MARTIN-TEST", "LÉA", "20120721", "2012-07-21", "212076938311224")]
assert len(b) == 3
for p, (sn, gn, birth, iso, nir) in zip(b, want):
    assert (p["surname"], p["given"], p["birth"], p["birth_date"], p["nir"]) == (sn, gn, birth, iso, nir), p
    assert p["nir_key_valid"] is True
    assert p["ins"] == {"type": "INS-NIR-TEST", "oid": "1.2.250.1.213.1.4.10", "qualified": False}
    assert p["rank"] is None and p["quality"] is None and p["nationality"] is None
    assert sorted(p) == sorted(["surname", "given", "birth", "birth_date", "nir", "nir_key_valid",
                                "ins", "nationality", "rank", "quality"])
PYEOF
	run "read --json --ins nir" 0 read --json --ins nir
	check "--ins nir: the INS-NIR OID" grep -q '"type":"INS-NIR","oid":"1.2.250.1.213.1.4.8"' "$T/out"
	run "read --fhir" 0 read --fhir
	check "fhir: Bundle of 3 FR Core Patients, INS-NIR-TEST identifier, identity PROV" $PY - "$T/out" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
assert d["resourceType"] == "Bundle" and d["type"] == "collection"
pats = [e["resource"] for e in d["entry"]]
assert len(pats) == 3
core = "https://hl7.fr/ig/fhir/core/"
for p, nir, given, bd in zip(pats, ["179036912304535", "281112A00401815", "212076938311224"],
                             ["PIERRE", "SOPHIE", "LÉA"], ["1979-03-14", "1981-11-02", "2012-07-21"]):
    assert p["resourceType"] == "Patient"
    assert p["meta"]["profile"] == [core + "StructureDefinition/fr-core-patient"]
    assert p["identifier"] == [{"use": "official", "type": {"coding": [{
        "system": core + "CodeSystem/fr-core-cs-v2-0203", "code": "INS-NIR-TEST"}]},
        "system": "urn:oid:1.2.250.1.213.1.4.10", "value": nir}], p["identifier"]
    ext = p["extension"][0]
    assert ext["url"] == core + "StructureDefinition/fr-core-identity-reliability"
    sub = {e["url"]: e["valueCoding"] for e in ext["extension"]}
    assert sub["identityStatus"]["code"] == "PROV"
    assert sub["identityStatus"]["system"] == core + "CodeSystem/fr-core-cs-identity-status"
    assert sub["methodCollection"]["code"] == "CV"
    assert p["name"] == [{"use": "official", "family": "MARTIN-TEST", "given": [given]}]
    assert p["birthDate"] == bd
PYEOF
	run "read --hl7" 0 read --hl7
	check "hl7: 3 PID segments, PID-3 CX with the test OID, PID-5, PID-7, PID-32 PROV" $PY - "$T/out" <<'PYEOF'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert len(lines) == 3, lines
for i, (l, nir, given, birth) in enumerate(zip(lines, ["179036912304535", "281112A00401815", "212076938311224"],
                                               ["PIERRE", "SOPHIE", "LÉA"], ["19790314", "19811102", "20120721"])):
    f = l.split("|")
    assert f[0] == "PID" and f[1] == str(i + 1)
    assert f[3] == nir + "^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS", f[3]
    assert f[5] == "MARTIN-TEST^" + given and f[7] == birth
    assert len(f) == 33 and f[32] == "PROV"
PYEOF
	run "read --reader (the CPS3): not a Vitale card" 12 read --reader "$R1"
	check "  message names the card" grep -q "not a carte Vitale (CPS3 (contact))" "$T/err"
	run "read --json --reader (the CPS3): error document on stdout" 12 read --json --reader "$R1"
	check "  error document" $PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == 1 and d["event"] == "error" and d["error"] == "not-vitale", d
assert d["card"]["type"] == "cps3" and "beneficiaries" not in d' "$T/out"
	run "no such reader" 10 read --reader "No Such Reader"
	tb_card remove 0 > /dev/null
	tb_wait_for sh -c "santecard status --json | grep -q '\"card_present\":false'"
	tb_card remove 1 > /dev/null
	sleep 0.5
	run "no card in the readers" 11 read
	check "  says so" grep -q "no card in the readers" "$T/err"
	(sleep 0.7; tb_card insert 0 > /dev/null) &
	run "--wait: a card inserted while waiting is read" 0 read --json --wait 10
	wait
	check "  the card's JSON" grep -q '"given":"SOPHIE"' "$T/out"
	tb_card remove 0 > /dev/null
	sleep 0.5
	run "--wait: timeout" 3 read --wait 0.5
	run "bad option" 2 read --bogus
	run "two formats" 2 read --json --hl7
	run "bad --ins" 2 read --ins prod
	tb_pcscd stop
	run "pcscd not running" 4 read
	tb_pcscd start
	;;
bad)
	run "corrupt TLV: unreadable" 13 read --reader "$R0"
	check "  clear message" grep -q "data is malformed (corrupt TLV)" "$T/err"
	check "  no crash" no_crash
	run "corrupt TLV --json: error document" 13 read --json --reader "$R0"
	check "  error unreadable, detail STC_ERR_INVALID_DATA" $PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["event"] == "error" and d["error"] == "unreadable" and d["detail"] == "STC_ERR_INVALID_DATA", d' "$T/out"
	run "wrong NIR key: data shown, exit 14" 14 read --reader "$R1"
	check "  text says which key" grep -q "WRONG KEY: 81, the number gives 80" "$T/out"
	check "  message on stderr" grep -q "1 NIR on the card does not check (wrong key): no INS" "$T/err"
	run "wrong NIR key --json" 14 read --json --reader "$R1"
	check "  nir_key_valid false, no INS, the good one kept" $PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
a, b = d["beneficiaries"]
assert a["nir_key_valid"] is True and a["ins"]["oid"] == "1.2.250.1.213.1.4.10"
assert b["nir"] == "185067511512381" and b["nir_key_valid"] is False and b["ins"] is None
assert d["nir_errors"] == 1' "$T/out"
	run "wrong NIR key --fhir: no identifier for that Patient" 14 read --fhir --reader "$R1"
	check "  identifier only on the first" $PY -c '
import json, sys
p = [e["resource"] for e in json.load(open(sys.argv[1]))["entry"]]
assert "identifier" in p[0] and "identifier" not in p[1]' "$T/out"
	run "wrong NIR key --hl7: PID-3 empty" 14 read --hl7 --reader "$R1"
	check "  PID-3 empty on the second" $PY -c '
import sys
l = open(sys.argv[1]).read().splitlines()
assert l[0].split("|")[3].startswith("290056912321089^") and l[1].split("|")[3] == ""' "$T/out"
	;;
other)
	run "another card (reader-test applet): not a Vitale card" 12 read --reader "$R0"
	check "  no crash" no_crash
	run "carte Vitale 1: not readable (data coding not public)" 12 read --json --reader "$R1"
	check "  says why" grep -q "carte Vitale 1: its data coding is not public" "$T/err"
	check "  error vitale1-unsupported" grep -q '"error":"vitale1-unsupported"' "$T/out"
	run "no reader given, a Vitale 1 and another card: not a Vitale card" 12 read
	;;
big)
	run "19 beneficiaries (files over 256 bytes)" 0 read --json
	check "  all 19, in order, NIRs checked" $PY -c '
import json, sys
b = json.load(open(sys.argv[1]))["beneficiaries"]
assert [p["given"] for p in b] == ["ENFANT%d" % i for i in range(1, 20)], b
assert all(p["nir_key_valid"] and p["nir"].startswith("1850675115") for p in b)
assert b[18]["nir"][10:13] == "019"' "$T/out"
	;;
esac
tb_summary
