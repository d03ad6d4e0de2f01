#!/bin/bash
# The CPS driver (objects, certificates, PINs, holder) through the real pcscd
# and the simulated CPS3, contact and contactless, with tests/integration/
# cps_token_tool driving the token API; OpenSC's pkcs15-tool as the reference
# for the object list when it is installed.
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${TESTBED_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test bed needs root for its private namespaces"
		exit 77
	fi
	exec "$here/testbed" --cards "cps-doctor cps-doctor,contactless" "$here/$(basename "$0")"
fi
. "$here/lib.sh"
T=$TESTBED_DIR
PKI=$SANTECARD_PKI_DIR/cps-doctor
PROFILE=$SANTECARD_PROFILE_DIR/cps-doctor.profile
TOOL="$top_builddir/tests/integration/cps_token_tool"
R0='Virtual PCD 00 00'
R1='Virtual PCD 00 01'
# line N FILE TEXT: line N of FILE is TEXT
line() { [ "$(sed -n "$1p" "$2")" = "$3" ]; }
apdus() { grep -c ' APDU: ' "$TESTBED_PCSCD_LOG" || true; }

[ -f "$PKI/auth.crt.der" ] || { echo "no PKI in $PKI (make pki)"; exit 1; }

# -- objects: what the card lists, read once
n0=$(apdus)
"$TOOL" "$R0" objects > "$T/objects"
n1=$(apdus)
check "objects listed" test -s "$T/objects"
check "listing in 11 APDUs (AID, ODF, TokenInfo, PrKDF, CDF, DODF)" test $((n1 - n0)) = 11 ||
	echo "  (saw $((n1 - n0)))"
"$TOOL" "$R0" objects objects > "$T/objects2"
n2=$(apdus)
check "a second listing on the same token sends nothing" test $((n2 - n1)) = 11 ||
	echo "  (saw $((n2 - n1)))"
cut -d'|' -f2,3,4 "$T/objects" | sort > "$T/ours"
cat > "$T/want" <<'EOW'
1|Certificat d'Authentification CPS|e828bd080f8025000001ff001002
1|Certificat de Signature CPS|e828bd080f8025000001ff001001
2|CPS_PRIV_AUT|e828bd080f8025000001ff001002
2|CPS_PRIV_SIG|e828bd080f8025000001ff001001
3|CPS_ACTIVITY_01_PS|
3|CPS_DATA|
3|CPS_ID_CARD|
3|CPS_INFO_PS|
3|CPS_NAME_PS|
EOW
check "objects: labels, classes, ids" diff "$T/want" "$T/ours"
check "keys: usages and sizes" grep -q '|CPS_PRIV_SIG|e828bd080f8025000001ff001001||1|2|2048$' "$T/objects"
check "activity data needs the PIN" grep -q '|CPS_ACTIVITY_01_PS||CPS|1|' "$T/objects"
if command -v pkcs15-tool > /dev/null; then
	pkcs15-tool --reader 0 --dump > "$T/dump" 2>&1
	awk '/^(Private RSA Key|X.509 Certificate) \[/ { l = $0; sub(/^[^[]*\[/, "", l); sub(/\]$/, "", l); next }
	     l != "" && /^[ \t]+ID[ \t]+:/ { print l "|" $3; l = "" }
	     /^Data object / { d = $0; sub(/^Data object ./, "", d); sub(/.$/, "", d); print d "|" }' \
		"$T/dump" | sort > "$T/opensc"
	cut -d'|' -f2,3 "$T/ours" | sort > "$T/ours2"
	check "objects = what pkcs15-tool --dump lists (labels, ids)" diff "$T/opensc" "$T/ours2"
else
	echo "  (pkcs15-tool not installed: no comparison with OpenSC)"
fi

# -- certificates and holder
"$TOOL" "$R0" "read:Certificat d'Authentification CPS:$T/auth.der" \
	"read:Certificat de Signature CPS:$T/sign.der" holder > "$T/read"
check "authentication certificate = PKI file" cmp -s "$T/auth.der" "$PKI/auth.crt.der"
check "signature certificate = PKI file" cmp -s "$T/sign.der" "$PKI/sign.crt.der"
prof() { sed -n "s/^$1 = //p" "$PROFILE"; }
want="holder: STC_OK|$(prof holder.idnat)|RPPS|$(prof holder.surname)|$(prof holder.given)|$(prof holder.profession)"
check "holder = the profile's" grep -qxF "$want" "$T/read" || cat "$T/read"

# -- PINs: 3 tries, wrong PIN, 2, right PIN, verified; change and change back
"$TOOL" "$R0" pininfo read:CPS_ACTIVITY_01_PS:$T/act verify:1235 pininfo verify:123 verify:1234 \
	pininfo read:CPS_ACTIVITY_01_PS:$T/act pukinfo > "$T/pin"
check "PIN: 3 tries at first" line 1 "$T/pin" 'pininfo: tries 3/3 uses -1 verified 0 blocked 0 len 4-8'
check "PIN-protected data refused before the PIN" grep -qx 'read CPS_ACTIVITY_01_PS: STC_ERR_SECURITY_STATUS 0' "$T/pin"
check "wrong PIN: 2 tries left" grep -qx 'verify: STC_ERR_PIN_INCORRECT 2' "$T/pin"
check "PIN info says 2" line 4 "$T/pin" 'pininfo: tries 2/3 uses -1 verified 0 blocked 0 len 4-8'
check "a 3-digit PIN is refused by the library" grep -qx 'verify: STC_ERR_INVALID_ARGS -1' "$T/pin"
check "right PIN verifies" line 6 "$T/pin" 'verify: STC_OK -1'
check "PIN info: verified, 3 tries" line 7 "$T/pin" 'pininfo: tries 3/3 uses -1 verified 1 blocked 0 len 4-8'
check "PIN-protected data read after the PIN" grep -q 'read CPS_ACTIVITY_01_PS: STC_OK [1-9]' "$T/pin"
check "PUK: 10 tries, 100 uses" grep -qx 'pukinfo: tries 10/10 uses 100 verified 0 blocked 0 len 4-8' "$T/pin"
"$TOOL" "$R0" change:1234:5678 verify:5678 change:5678:1234 verify:1234 > "$T/change"
check "change, verify with the new PIN, change back" test "$(cat "$T/change")" = \
	"$(printf 'change: STC_OK -1\nverify: STC_OK -1\nchange: STC_OK -1\nverify: STC_OK -1')" ||
	cat "$T/change"
"$TOOL" "$R0" verify:1111 unblock:12345678:1234 pininfo verify:1234 > "$T/unblock"
check "unblock with the PUK resets the tries" line 3 "$T/unblock" 'pininfo: tries 3/3 uses -1 verified 0 blocked 0 len 4-8' ||
	cat "$T/unblock"

# -- the CPS2ter volet (CLA A0): 16 activity files + SIT_FACT, read with the PIN
tb_card remove 0 > /dev/null; tb_card insert 0 > /dev/null   # a fresh card session: PIN not verified
tb_wait_for "$TOOL" "$R0" objects
"$TOOL" "$R0" cps2ter read:CPS2TER_ACTIVITY_01_PS:$T/c2a verify:1234 \
	read:CPS2TER_ACTIVITY_01_PS:$T/c2a read:CPS_SIT_FACT:$T/c2f > "$T/c2"
check "CPS2ter: 17 situation files listed" test "$(grep -c '^object' "$T/c2")" = 17
check "CPS2ter: first is CPS2TER_ACTIVITY_01_PS, app CPS, PIN" grep -qx 'object 4096|3|CPS2TER_ACTIVITY_01_PS||CPS|1|0|0' "$T/c2"
check "CPS2ter: last is CPS_SIT_FACT" grep -qx 'object 4112|3|CPS_SIT_FACT||CPS|1|0|0' "$T/c2"
check "CPS2ter: refused before the PIN" grep -qx 'read CPS2TER_ACTIVITY_01_PS: STC_ERR_SECURITY_STATUS 0' "$T/c2"
check "CPS2ter: read after the PIN" grep -q 'read CPS2TER_ACTIVITY_01_PS: STC_OK [1-9]' "$T/c2"
check "CPS2ter: activity 01 holds the profession and CABINET TEST" sh -c \
	"openssl asn1parse -inform DER -in '$T/c2a' | grep -q 'CABINET TEST' && openssl asn1parse -inform DER -in '$T/c2a' | grep -qF '$(prof holder.profession)'"
check "CPS2ter: SIT_FACT" sh -c "openssl asn1parse -inform DER -in '$T/c2f' | grep -q 'SIT FACT TEST'"
"$TOOL" "$R1" cps2ter > "$T/c2cl"
check "CPS2ter: not over contactless" grep -qx 'cps2ter: STC_ERR_NOT_SUPPORTED' "$T/c2cl"

# -- contactless: the technical certificate and key, no PIN
"$TOOL" "$R1" objects "read:Certificat Technique CPS:$T/tech.der" holder pininfo \
	verify:1234 > "$T/cl"
check "contactless: only the technical key and certificate" test "$(grep -c '^object' "$T/cl")" = 2
check "contactless: CPS_PRIV_TECH_AUT, no PIN, sign" grep -q '^object 1|2|CPS_PRIV_TECH_AUT|e828bd080f8025000001ff002001||0|1|2048$' "$T/cl"
check "contactless: Certificat Technique CPS" grep -q '^object 2|1|Certificat Technique CPS|e828bd080f8025000001ff002001|' "$T/cl"
check "contactless: technical certificate = PKI file" cmp -s "$T/tech.der" "$PKI/tech.crt.der"
check "contactless: holder from the technical certificate" grep -q "^holder: STC_OK|$(prof holder.idnat)|RPPS|" "$T/cl"
check "contactless: no PIN" grep -qx 'pininfo: STC_ERR_NOT_SUPPORTED' "$T/cl"
check "contactless: no VERIFY" grep -qx 'verify: STC_ERR_NOT_SUPPORTED -1' "$T/cl"

# -- santecard status: holder and PIN tries, human and JSON
santecard status --json > "$T/status.json"
check "status --json: holder and PIN" /usr/bin/python3 - "$T/status.json" "$PROFILE" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))["readers"]
p = dict(l.split(" = ", 1) for l in open(sys.argv[2], encoding="utf-8").read().splitlines()
         if " = " in l and not l.startswith("#"))
h = {"national_id": p["holder.idnat"], "id_type": "RPPS", "surname": p["holder.surname"],
     "given": p["holder.given"], "profession": p["holder.profession"]}
assert r[0]["holder"] == h and r[0]["pin"] == {"tries_left": 3, "blocked": False}, r[0]
assert r[1]["holder"] == h and "pin" not in r[1], r[1]
PYEOF
santecard status --reader "$R0" > "$T/status"
check "status: holder line" grep -qx "  Holder: $(prof holder.given) $(prof holder.surname), $(prof holder.profession)" "$T/status"
check "status: PIN line" grep -qx '  PIN:    3 tries left' "$T/status"

tb_summary
