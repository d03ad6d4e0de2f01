#!/bin/bash
# test_pki.sh - checks tests/pki/make-pki on the shipped profiles with openssl:
# chain verification, subjects, key usages, issuers, key/certificate pairs,
# idempotence, re-issue on a changed profile, refusal of an incomplete profile.
# Needs only bash and openssl. Prints "N passed, N failed"; exit 1 on failure.
# shellcheck disable=SC2016 # bash -c scripts take their arguments as $1...
set -u

here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
make_pki=$top_srcdir/tests/pki/make-pki
profiles=$top_srcdir/firmware/profiles
# shellcheck source=tests/integration/lib.sh
. "$top_srcdir/tests/integration/lib.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/santecard-pki-test.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
out=$T/pki

pget() { sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*//p" "$1" | sed 's/[[:space:]]*$//' | head -n1; }
subject() { openssl x509 -in "$1" -noout -subject -nameopt RFC2253,-esc_msb | sed 's/^subject=//'; }
issuer() { openssl x509 -in "$1" -noout -issuer -nameopt RFC2253,-esc_msb | sed 's/^issuer=//'; }
# The multi-valued RDN's attributes come out in DER order (a SET OF is sorted by
# encoding, so by value length first): SN may precede CN, as in real CPS subjects
# (cards.md §4.3). Compare the first RDN as a set: sort its attributes.
norm_dn() {
	local first=${1%%,*} rest=${1#*,}
	printf '%s,%s\n' "$(tr + '\n' <<< "$first" | LC_ALL=C sort | paste -sd+)" "$rest"
}
ku() { openssl x509 -in "$1" -noout -ext keyUsage 2>/dev/null; }
eku() { openssl x509 -in "$1" -noout -ext extendedKeyUsage 2>/dev/null; }
# checksums and modes of every file, to compare two runs
snapshot() { (cd "$1" && find . -type f ! -name .stamp -printf '%p %m %T@\n' | sort && \
	find . -type f -exec sha256sum {} + | sort -k2); }

ROOT_DN="CN=TEST AC RACINE IGC-SANTE FORT,OU=IGC-SANTE TEST,OU=0002 187512751,O=ASIP-SANTE,C=FR"
INT_DN="CN=TEST AC IGC-SANTE FORT PERSONNES,OU=IGC-SANTE TEST,OU=0002 187512751,O=ASIP-SANTE,C=FR"

verify() {
	openssl verify -CAfile "$out/ca/root.crt.pem" -untrusted "$out/ca/intermediate.crt.pem" \
		"$1" 2>&1 | grep -q ': OK$'
}
verify_x509_strict() {
	openssl verify -x509_strict -CAfile "$out/ca/root.crt.pem" \
		-untrusted "$out/ca/intermediate.crt.pem" "$1" >/dev/null 2>&1
}
same_modulus() {
	[ "$(openssl x509 -in "$1" -noout -modulus)" = "$(openssl rsa -in "$2" -noout -modulus 2>/dev/null)" ]
}
der_matches_pem() {
	cmp -s "$1" <(openssl x509 -in "$2" -outform DER)
}
rsa2048() { openssl x509 -in "$1" -noout -text | grep -q 'Public-Key: (2048 bit)'; }
mode600() { [ "$(stat -c %a "$1")" = 600 ]; }
has() { grep -q -- "$2" <<< "$1"; }
hasnt() { ! grep -q -- "$2" <<< "$1"; }
# valid now, starts before now - 1 h, ends in (2y, 3y + 2d]
validity() {
	local nb na now
	nb=$(date -d "$(openssl x509 -in "$1" -noout -startdate | cut -d= -f2)" +%s)
	na=$(date -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%s)
	now=$(date +%s)
	[ "$nb" -le $((now - 3600)) ] && [ "$na" -gt $((now + 2 * 365 * 86400)) ] &&
		[ "$na" -le $((now + 3 * 366 * 86400 + 2 * 86400)) ]
}

echo "make-pki: first run"
check "make-pki runs" "$make_pki" --profiles "$profiles" --out "$out" --quiet
check "make-pki --help" bash -c '"$1" --help | grep -q -- --profiles' _ "$make_pki"

# ------------------------------------------------------------ CA
ca=$out/ca
for f in root.key.pem root.crt.pem root.crt.der intermediate.key.pem intermediate.crt.pem \
	intermediate.crt.der chain.pem; do
	check "ca/$f exists" test -s "$ca/$f"
done
check "root subject" test "$(subject "$ca/root.crt.pem")" = "$ROOT_DN"
check "root self-signed" test "$(issuer "$ca/root.crt.pem")" = "$ROOT_DN"
check "intermediate subject" test "$(subject "$ca/intermediate.crt.pem")" = "$INT_DN"
check "intermediate issuer" test "$(issuer "$ca/intermediate.crt.pem")" = "$ROOT_DN"
check "root verifies" verify "$ca/root.crt.pem"
check "intermediate verifies" verify "$ca/intermediate.crt.pem"
bc=$(openssl x509 -in "$ca/root.crt.pem" -noout -ext basicConstraints)
check "root CA:TRUE critical" has "$bc" "critical" && check "root CA:TRUE" has "$bc" "CA:TRUE"
bc=$(openssl x509 -in "$ca/intermediate.crt.pem" -noout -ext basicConstraints)
check "intermediate pathlen 0" has "$bc" "CA:TRUE, pathlen:0"
check "root keyUsage" has "$(ku "$ca/root.crt.pem")" "Certificate Sign, CRL Sign"
check "intermediate keyUsage" has "$(ku "$ca/intermediate.crt.pem")" "Certificate Sign, CRL Sign"
check "intermediate anyPolicy" has \
	"$(openssl x509 -in "$ca/intermediate.crt.pem" -noout -ext certificatePolicies)" "Any Policy"
check "ca keys 0600" mode600 "$ca/root.key.pem"
check "root key matches" same_modulus "$ca/root.crt.pem" "$ca/root.key.pem"
check "intermediate key matches" same_modulus "$ca/intermediate.crt.pem" "$ca/intermediate.key.pem"
check "root DER = PEM" der_matches_pem "$ca/root.crt.der" "$ca/root.crt.pem"
check "chain = intermediate + root" cmp -s "$ca/chain.pem" \
	<(cat "$ca/intermediate.crt.pem" "$ca/root.crt.pem")

# ------------------------------------------------------------ holders
ncps=0
for p in "$profiles"/*.profile; do
	name=$(basename "$p" .profile)
	if [ "$(pget "$p" card)" != cps3 ]; then
		check "$name: no PKI for a non-CPS profile" test ! -e "$out/$name"
		continue
	fi
	ncps=$((ncps + 1))
	want="CN=$(pget "$p" holder.idnat)+SN=$(pget "$p" holder.surname)+GN=$(pget "$p" holder.given),title=$(pget "$p" holder.profession),C=FR"
	d=$out/$name
	check "$name: chain.pem" cmp -s "$d/chain.pem" "$ca/chain.pem"
	for f in auth sign tech; do
		c=$d/$f.crt.pem
		check "$name/$f: verifies" verify "$c"
		check "$name/$f: verifies (x509_strict)" verify_x509_strict "$c"
		check "$name/$f: subject $want" test "$(norm_dn "$(subject "$c")")" = "$(norm_dn "$want")"
		check "$name/$f: issuer" test "$(issuer "$c")" = "$INT_DN"
		check "$name/$f: key matches" same_modulus "$c" "$d/$f.key.pem"
		check "$name/$f: key 0600" mode600 "$d/$f.key.pem"
		check "$name/$f: DER = PEM" der_matches_pem "$d/$f.crt.der" "$c"
		check "$name/$f: RSA-2048" rsa2048 "$c"
		check "$name/$f: validity" validity "$c"
		check "$name/$f: keyUsage critical" has "$(ku "$c")" "critical"
	done
	check "$name/auth: digitalSignature" has "$(ku "$d/auth.crt.pem")" "Digital Signature"
	check "$name/auth: keyEncipherment" has "$(ku "$d/auth.crt.pem")" "Key Encipherment"
	check "$name/auth: no nonRepudiation" hasnt "$(ku "$d/auth.crt.pem")" "Non Repudiation"
	check "$name/auth: clientAuth" has "$(eku "$d/auth.crt.pem")" "TLS Web Client Authentication"
	check "$name/sign: nonRepudiation" has "$(ku "$d/sign.crt.pem")" "Non Repudiation"
	check "$name/sign: no digitalSignature" hasnt "$(ku "$d/sign.crt.pem")" "Digital Signature"
	check "$name/tech: digitalSignature" has "$(ku "$d/tech.crt.pem")" "Digital Signature"
	check "$name/tech: no nonRepudiation" hasnt "$(ku "$d/tech.crt.pem")" "Non Repudiation"
	check "$name/auth: openssl sslclient purpose" bash -c \
		'openssl verify -purpose sslclient -CAfile "$1" -untrusted "$2" "$3" >/dev/null 2>&1' \
		_ "$ca/root.crt.pem" "$ca/intermediate.crt.pem" "$d/auth.crt.pem"
	check "$name: stamp lists it" grep -qx "$name" "$out/.stamp"
done
check "at least 4 CPS3 profiles" test "$ncps" -ge 4

# The trace profile's holder (the Cryptolib trace card, cards.md §1.7) has its PKI too.
check "cps-trace PKI" test -s "$out/cps-trace/auth.crt.der"

# S/MIME: signatures with the sign and auth keys verify with openssl's default
# (smimesign) purpose, and the card can decipher what is encrypted to its auth cert.
cms_sign_verify() {
	local d=$out/cps-doctor
	echo "ordonnance" > "$T/msg" &&
	openssl cms -sign -binary -nodetach -signer "$d/$1.crt.pem" -inkey "$d/$1.key.pem" \
		-certfile "$ca/intermediate.crt.pem" -in "$T/msg" -out "$T/msg.p7" 2>/dev/null &&
	openssl cms -verify -in "$T/msg.p7" -CAfile "$ca/root.crt.pem" -out "$T/msg.out" 2>/dev/null &&
	cmp -s "$T/msg" "$T/msg.out"
}
cms_decrypt() {
	local d=$out/cps-doctor
	echo "secret" > "$T/clear" &&
	openssl cms -encrypt -binary -aes256 -recip "$d/auth.crt.pem" -in "$T/clear" -out "$T/enc.p7" &&
	openssl cms -decrypt -inkey "$d/auth.key.pem" -recip "$d/auth.crt.pem" -in "$T/enc.p7" \
		-out "$T/dec" && cmp -s "$T/clear" "$T/dec"
}
check "cms: signature with the sign key verifies" cms_sign_verify sign
check "cms: signature with the auth key verifies" cms_sign_verify auth
check "cms: encryption to the auth certificate deciphers" cms_decrypt

# ------------------------------------------------------------ idempotence
before=$(snapshot "$out")
stamp_before=$(stat -c %Y.%s "$out/.stamp")
sleep 1
check "second run succeeds" "$make_pki" --profiles "$profiles" --out "$out" --quiet
check "second run changes nothing" test "$(snapshot "$out")" = "$before"
check "second run leaves the stamp alone" test "$(stat -c %Y.%s "$out/.stamp")" = "$stamp_before"
check "no work directory left" bash -c '! ls -d "$1"/.work.* >/dev/null 2>&1' _ "$out"

# ------------------------------------------------------------ --force
serial() { openssl x509 -in "$1" -noout -serial; }
s1=$(serial "$out/cps-doctor/auth.crt.pem")
check "--force succeeds" "$make_pki" --profiles "$profiles" --out "$out" --force --quiet
check "--force re-issues" test "$(serial "$out/cps-doctor/auth.crt.pem")" != "$s1"
check "--force: still verifies" verify "$out/cps-doctor/sign.crt.pem"

# ------------------------------------------------------------ a changed profile
mkdir -p "$T/prof"
cp "$profiles/cps-doctor.profile" "$profiles/cps-pharmacist.profile" "$T/prof/"
out2=$T/pki2
check "copy run" "$make_pki" --profiles "$T/prof" --out "$out2" --quiet
ph_before=$(sha256sum "$out2/cps-pharmacist/auth.crt.der")
sed -i 's/^holder.surname = .*/holder.surname = CHANGÉ-TEST/' "$T/prof/cps-doctor.profile"
check "run after a profile change" "$make_pki" --profiles "$T/prof" --out "$out2" --quiet
check "changed holder re-issued" has "$(norm_dn "$(subject "$out2/cps-doctor/auth.crt.pem")")" "SN=CHANGÉ-TEST,title="
check "other holders untouched" test "$(sha256sum "$out2/cps-pharmacist/auth.crt.der")" = "$ph_before"

# ------------------------------------------------------------ refusals
mkdir -p "$T/bad"
grep -v '^holder.given' "$profiles/cps-doctor.profile" > "$T/bad/incomplete.profile"
"$make_pki" --profiles "$T/bad" --out "$T/pki-bad" > "$T/bad.out" 2>&1
rc=$?
check "missing key refused (exit 2)" test "$rc" = 2
check "missing key named" grep -q "incomplete.profile: missing required key 'holder.given'" "$T/bad.out"
check "nothing generated for a refused profile" test ! -e "$T/pki-bad/incomplete"
"$make_pki" --profiles "$T/nonexistent" --out "$T/pki-bad" > /dev/null 2>&1
check "missing profile directory refused" test $? = 2
"$make_pki" --out "$T/pki-bad" > /dev/null 2>&1
check "missing --profiles refused" test $? = 2

tb_summary
