#!/bin/bash
# santecard-pkcs11 with a card it does not know (santecard-sim's test card in
# reader 0) next to the contactless side of a CPS3 (reader 1): the unknown card
# is no token and never blocks the caller; the contactless CPS has no PIN and
# signs with its technical key, verified by openssl.
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${TESTBED_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test bed needs root for its private namespaces"
		exit 77
	fi
	command -v pkcs11-tool > /dev/null || { echo "SKIP: pkcs11-tool not installed"; exit 77; }
	exec "$here/testbed" --cards "test cps-doctor,contactless" "$here/$(basename "$0")"
fi
. "$here/lib.sh"
: "${top_builddir:=$here/../..}"
MOD=$top_builddir/pkcs11/.libs/santecard-pkcs11.so
T=$TESTBED_DIR
client=()
if ldd "$MOD" | grep -q libasan; then
	client=(env "LD_PRELOAD=$(gcc -print-file-name=libasan.so)" ASAN_OPTIONS=detect_leaks=0)
fi
p11() { timeout 20 "${client[@]}" pkcs11-tool --module "$MOD" "$@"; }

start=$(date +%s%N)
p11 -L > "$T/L" 2>&1
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "-L: exit 0" test $rc = 0
check "-L: within 3 s ($ms ms)" test "$ms" -lt 3000
empty0() { grep -A1 "Virtual PCD 00 00" "$T/L" | grep -q "(empty)"; }
check "-L: the unknown card's slot has no token" empty0
check "-L: the contactless CPS beside it" grep -q "token label *: CPS3v3-9921000101 CL" "$T/L"
check "-L: no PIN on the contactless CPS" grep -q "token flags *: rng, token initialized$" "$T/L"
p11 -T > "$T/T" 2>&1
check "-T: one token" test "$(grep -c 'token label' "$T/T")" = 1
for i in 1 2 3; do p11 --slot 1 -I > /dev/null 2>&1 || true; done
p11 --slot 1 --login --pin 1234 -O > "$T/O" 2>&1
check "unknown slot: not opened" grep -q "CKR_TOKEN_NOT_RECOGNIZED" "$T/O"
p11 --slot 2 --login --pin 1234 -O > "$T/out" 2>&1
check "contactless: C_Login is CKR_USER_PIN_NOT_INITIALIZED" grep -q CKR_USER_PIN_NOT_INITIALIZED "$T/out"
p11 --slot 2 -O > "$T/O" 2>&1
check "contactless: CPS_PRIV_TECH_AUT without login" grep -q "label: *CPS_PRIV_TECH_AUT" "$T/O"
check "contactless: Certificat Technique CPS" grep -q "label: *Certificat Technique CPS" "$T/O"
p11 --slot 2 --read-object --type cert --label 'Certificat Technique CPS' -o "$T/tech.der" \
	> /dev/null 2>&1
check "contactless: certificate = PKI file" cmp -s "$T/tech.der" "$SANTECARD_PKI_DIR/cps-doctor/tech.crt.der"
openssl x509 -inform DER -in "$T/tech.der" -pubkey -noout > "$T/tech.pub"
p11 --slot 2 --sign -m SHA256-RSA-PKCS -i "$T/L" -o "$T/sig" > "$T/out" 2>&1
check "contactless: signs without a PIN" test $? = 0
check "contactless: openssl verifies" openssl dgst -sha256 -verify "$T/tech.pub" -signature "$T/sig" -out /dev/null "$T/L"

tb_summary
