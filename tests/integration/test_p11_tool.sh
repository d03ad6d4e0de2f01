#!/bin/bash
# santecard-pkcs11.so driven by real PKCS#11 clients against the simulated
# cards (cps-doctor CPS3 in reader 0, vitale-family Vitale 2 in reader 1):
# OpenSC's pkcs11-tool (-L -T -M -O, --sign with every mechanism and both keys,
# each signature verified by openssl with the certificate read from the card
# and compared with the PKI files, multi-part signing, --decrypt, --test,
# --test-threads, --test-fork) and GnuTLS's p11tool (--list-all, --test-sign).
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${TESTBED_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test bed needs root for its private namespaces"
		exit 77
	fi
	for t in pkcs11-tool p11tool openssl; do
		command -v $t > /dev/null || { echo "SKIP: $t not installed"; exit 77; }
	done
	exec "$here/testbed" --cards "cps-doctor vitale-family" "$here/$(basename "$0")"
fi
. "$here/lib.sh"
: "${top_builddir:=$here/../..}"
MOD=$top_builddir/pkcs11/.libs/santecard-pkcs11.so
PKI=$SANTECARD_PKI_DIR/cps-doctor
AUT=e828bd080f8025000001ff001002
SIG=e828bd080f8025000001ff001001
T=$TESTBED_DIR
# A module built with --enable-sanitizers needs the ASan runtime loaded first
# in the (uninstrumented) clients; their own leaks are not ours to report.
client=()
if ldd "$MOD" | grep -q libasan; then
	client=(env "LD_PRELOAD=$(gcc -print-file-name=libasan.so)" ASAN_OPTIONS=detect_leaks=0)
fi
p11() { "${client[@]}" pkcs11-tool --module "$MOD" "$@"; }
P11TOOL=$(type -P p11tool)
p11tool() { "${client[@]}" "$P11TOOL" "$@"; }
verify() { openssl dgst "$@" > /dev/null; }
not() { ! "$@"; }

[ -f "$MOD" ] || { echo "no module $MOD (make)"; exit 1; }
[ -f "$PKI/auth.crt.der" ] || { echo "no PKI in $PKI (make pki)"; exit 1; }

# -- listings
p11 -L > "$T/L" 2>&1
check "-L: exit 0" test $? = 0
check "-L: slot 0 is reader 0" grep -q "Slot 0 (0x1): Virtual PCD 00 00" "$T/L"
check "-L: slot 1 is reader 1" grep -q "Slot 1 (0x2): Virtual PCD 00 01" "$T/L"
check "-L: CPS token label from TokenInfo" grep -q "token label *: CPS3v3-9921000101" "$T/L"
check "-L: CPS manufacturer" grep -q "token manufacturer : ASIP SANTE" "$T/L"
check "-L: CPS model" grep -q "token model *: IAS ECC" "$T/L"
check "-L: CPS serial (last 16 of the card's)" grep -q "serial num *: 0000019921000101" "$T/L"
check "-L: CPS flags" grep -q "token flags *: login required, rng, token initialized, PIN initialized$" "$T/L"
check "-L: Vitale token" grep -q "token model *: Vitale 2" "$T/L"
p11 -T > "$T/T" 2>&1
check "-T: both tokens" test "$(grep -c 'token label' "$T/T")" = 2
p11 -M > "$T/M" 2>&1
for m in "RSA-PKCS, keySize={2048,2048}, hw, encrypt, decrypt, sign, verify" \
	"SHA1-RSA-PKCS, keySize={2048,2048}, hw, sign, verify" \
	"SHA256-RSA-PKCS, keySize={2048,2048}, hw, sign, verify" "SHA-1, digest" "SHA256, digest"; do
	check "-M: $m" grep -qF "$m" "$T/M"
done
check "-M: five mechanisms" test "$(grep -c '^  ' "$T/M")" = 5
p11 -O > "$T/O" 2>&1
check "-O: auth certificate" grep -q "label: *Certificat d'Authentification CPS" "$T/O"
check "-O: signature certificate" grep -q "label: *Certificat de Signature CPS" "$T/O"
check "-O: auth public key" grep -q "label: *Cle publique - Certificat d'Authentification CPS" "$T/O"
check "-O: signature public key" grep -q "label: *Cle publique - Certificat de Signature CPS" "$T/O"
check "-O: CPS data objects" grep -q "label: *'CPS_ID_CARD'" "$T/O"
check "-O: no private key before login" test "$(grep -c 'Private Key Object' "$T/O")" = 0
check "-O: no private data before login" test "$(grep -c 'private$' "$T/O")" = 0
p11 --login --pin 1234 -O > "$T/Ol" 2>&1
check "-O --login: CPS_PRIV_AUT" grep -q "label: *CPS_PRIV_AUT" "$T/Ol"
check "-O --login: CPS_PRIV_SIG" grep -q "label: *CPS_PRIV_SIG" "$T/Ol"
check "-O --login: private data objects" grep -q "label: *'CPS_ACTIVITY_01_PS'" "$T/Ol"
# the CPS2ter volet's situation files: private data objects, found on demand
check "-O --login: CPS2TER_ACTIVITY_01_PS .. 16_PS" test "$(for i in $(seq -w 1 16); do
	grep -c "label: *'CPS2TER_ACTIVITY_${i}_PS'" "$T/Ol"; done | sort -u)" = 1
check "-O --login: CPS_SIT_FACT" grep -q "label: *'CPS_SIT_FACT'" "$T/Ol"
check "-O --login: CPS2ter objects are private, application CPS" test "$(grep -A3 \
	"label: *'CPS2TER_ACTIVITY_07_PS'" "$T/Ol" | grep -c "application: *'CPS'\|private$")" = 2
check "-O: no CPS2ter object before login" not grep -q "CPS2TER\|CPS_SIT_FACT" "$T/O"
p11 --login --pin 1234 --read-object --type data --label CPS2TER_ACTIVITY_01_PS -o "$T/c2" \
	> /dev/null 2>&1
check "--read-object CPS2TER_ACTIVITY_01_PS: DER with CABINET TEST" \
	sh -c "openssl asn1parse -inform DER -in '$T/c2' | grep -q 'UTF8STRING *:CABINET TEST'"
p11 --read-object --type data --label CPS2TER_ACTIVITY_01_PS -o "$T/c2n" > "$T/out" 2>&1
check "--read-object CPS2TER_ACTIVITY_01_PS without login: not found" test ! -s "$T/c2n"
p11 --slot-index 1 -O > "$T/Ov" 2>&1
check "Vitale: three beneficiaries" test "$(grep -c "application: *'VITALE'" "$T/Ov")" = 3
p11 --slot-index 1 --read-object --type data --label VITALE_BENEFICIAIRE_02 -o "$T/b2" \
	> /dev/null 2>&1
check "Vitale: beneficiary 2's NIR" grep -q "^nir=281112A00401815$" "$T/b2"

# -- certificates read through the module = PKI files
for k in auth:$AUT sign:$SIG; do
	name=${k%%:*}
	p11 --read-object --type cert --id "${k#*:}" -o "$T/$name.der" > /dev/null 2>&1
	check "read $name certificate = PKI file" cmp -s "$T/$name.der" "$PKI/$name.crt.der"
	openssl x509 -inform DER -in "$T/$name.der" -pubkey -noout > "$T/$name.pub"
done

# -- signatures, verified by openssl
printf 'santecard test message' > "$T/msg"
head -c 100000 /dev/urandom > "$T/big"    # pkcs11-tool signs it with C_SignUpdate
for m in SHA256-RSA-PKCS:sha256 SHA1-RSA-PKCS:sha1; do
	mech=${m%%:*} dg=${m#*:}
	for k in auth:$AUT sign:$SIG; do
		name=${k%%:*}
		for f in msg big; do
			p11 --login --pin 1234 --sign -m "$mech" --id "${k#*:}" -i "$T/$f" \
				-o "$T/sig" > "$T/out" 2>&1
			check "$mech $name key ($f): signed" test $? = 0
			check "$mech $name key ($f): openssl verifies" \
				verify -"$dg" -verify "$T/$name.pub" -signature "$T/sig" "$T/$f"
		done
	done
done
openssl dgst -sha256 -binary "$T/msg" > "$T/hash"
{ printf '\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20'
  cat "$T/hash"; } > "$T/di"
for k in auth:$AUT sign:$SIG; do
	name=${k%%:*}
	p11 --login --pin 1234 --sign -m RSA-PKCS --id "${k#*:}" -i "$T/di" -o "$T/sig" \
		> "$T/out" 2>&1
	check "RSA-PKCS $name key (DigestInfo): signed" test $? = 0
	check "RSA-PKCS $name key (DigestInfo): openssl verifies" \
		verify -sha256 -verify "$T/$name.pub" -signature "$T/sig" "$T/msg"
done
p11 --login --pin 1234 --sign -m RSA-PKCS --id $SIG -i "$T/hash" -o "$T/sig" > "$T/out" 2>&1
check "RSA-PKCS signature key (bare hash): signed" test $? = 0
check "RSA-PKCS signature key (bare hash): openssl verifies" \
	verify -sha256 -verify "$T/sign.pub" -signature "$T/sig" "$T/msg"
head -c 200 /dev/urandom > "$T/long"
p11 --login --pin 1234 --sign -m RSA-PKCS --id $AUT -i "$T/long" -o "$T/sig" > "$T/out" 2>&1
check "RSA-PKCS auth key, 200 bytes (> 40%): CKR_DATA_LEN_RANGE" grep -q CKR_DATA_LEN_RANGE "$T/out"

# -- decipher with the authentication key
head -c 32 /dev/urandom > "$T/secret"
openssl pkeyutl -encrypt -pubin -inkey "$T/auth.pub" -in "$T/secret" -out "$T/ct" \
	-pkeyopt rsa_padding_mode:pkcs1
p11 --login --pin 1234 --decrypt -m RSA-PKCS --id $AUT -i "$T/ct" -o "$T/pt" > "$T/out" 2>&1
check "RSA-PKCS decrypt: exit 0" test $? = 0
check "RSA-PKCS decrypt: plaintext" cmp -s "$T/pt" "$T/secret"

# -- pkcs11-tool's own tests
p11 --login --pin 1234 --test > "$T/test" 2>&1
check "--test: exit 0" test $? = 0
check "--test: no errors" grep -q "^No errors" "$T/test"
check "--test: SHA256-RSA-PKCS on CPS_PRIV_SIG" grep -q "SHA256-RSA-PKCS: OK" "$T/test"
check "--test: decryption" grep -q "^Decryption" "$T/test"
timeout 60 "${client[@]}" pkcs11-tool --module "$MOD" --test-threads IN -L > "$T/thr" 2>&1
check "--test-threads IN -L: exit 0" test $? = 0
timeout 60 "${client[@]}" pkcs11-tool --module "$MOD" --test-threads ILGISLT0 -L > "$T/thr" 2>&1
check "--test-threads ILGISLT0 -L: exit 0" test $? = 0
check "--test-threads ILGISLT0 -L: all threads CKR_OK" \
	grep -q "all threads have ended with CKR_OK" "$T/thr"
timeout 60 "${client[@]}" pkcs11-tool --module "$MOD" --test-fork > "$T/fork" 2>&1
check "--test-fork: exit 0" test $? = 0
check "--test-fork: the child initialised" grep -q "C_Initialize in forked child" "$T/fork"

# -- GnuTLS p11tool
URI='pkcs11:token=CPS3v3-9921000101'
p11tool --provider "$MOD" --list-all "$URI" > "$T/p11all" 2>&1
check "p11tool --list-all: exit 0" test $? = 0
check "p11tool --list-all: 2 certificates" test "$(grep -c 'Type: X.509 Certificate (RSA-2048)' "$T/p11all")" = 2
check "p11tool --list-all: 2 public keys" test "$(grep -c 'Type: Public key (RSA-2048)' "$T/p11all")" = 2
GNUTLS_PIN=1234 p11tool --provider "$MOD" --login --list-all "$URI" > "$T/p11all" 2>&1
check "p11tool --login --list-all: 2 private keys" \
	test "$(grep -c 'Type: Private key (RSA-2048)' "$T/p11all")" = 2
# by CKA_ID, so that p11tool also finds the public key and checks with it
for key in CPS_PRIV_AUT:%02 CPS_PRIV_SIG:%01; do
	name=${key%%:*}
	id="%E8%28%BD%08%0F%80%25%00%00%01%FF%00%10${key#*:}"
	GNUTLS_PIN=1234 timeout 120 "${client[@]}" "$P11TOOL" --provider "$MOD" --login \
		--test-sign "$URI;id=$id" > "$T/ts" 2>&1
	check "p11tool --test-sign $name: exit 0" test $? = 0
	check "p11tool --test-sign $name: signed" grep -q "Signing using RSA-SHA256... ok" "$T/ts"
	check "p11tool --test-sign $name: verified with the key's parameters" \
		grep -q "Verifying against private key parameters... ok" "$T/ts"
	check "p11tool --test-sign $name: verified with the token's public key" \
		grep -q "Verifying against public key in the token... ok" "$T/ts"
done

tb_summary
