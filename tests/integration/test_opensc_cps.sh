#!/bin/bash
# Debian's OpenSC (iasecc driver, CPx type) against the simulated CPS3 of the
# cps-doctor profile: identification, PKCS#15 dump, certificates, PKCS#11
# login/sign/decrypt checked with openssl, the expected SHA*-RSA failure
# (reference/opensc-cpx.md §0.1), and PIN counters down to the blocked state.
# Persistence of the blocked state across restarts is covered by check_cps.
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${TESTBED_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test bed needs root for its private namespaces"
		exit 77
	fi
	for t in opensc-tool pkcs15-tool pkcs11-tool openssl; do
		command -v $t > /dev/null || { echo "SKIP: $t not installed"; exit 77; }
	done
	exec "$here/testbed" --cards "cps-doctor none" "$here/$(basename "$0")"
fi
. "$here/lib.sh"
MOD=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
PKI=$SANTECARD_PKI_DIR/cps-doctor
AUT=e828bd080f8025000001ff001002
SIG=e828bd080f8025000001ff001001
T=$TESTBED_DIR
p11() { pkcs11-tool --module "$MOD" "$@"; }
# the SW of a raw APDU, as opensc-tool prints it ("63 C2")
sw() { opensc-tool -s "$1" 2>/dev/null | sed -n 's/.*SW1=0x\(..\), SW2=0x\(..\).*/\1 \2/p' | tr a-f A-F; }

[ -f "$PKI/auth.crt.der" ] || { echo "no PKI in $PKI (make pki)"; exit 1; }

# -- identification
check "opensc-tool -n prints IAS-ECC" test "$(opensc-tool -n 2>/dev/null)" = IAS-ECC

# -- PKCS#15
pkcs15-tool --dump > "$T/dump" 2>&1
check "pkcs15-tool --dump exits 0" test $? = 0
check "dump: auth certificate" grep -q "X.509 Certificate \[Certificat d'Authentification CPS\]" "$T/dump"
check "dump: signature certificate" grep -q "X.509 Certificate \[Certificat de Signature CPS\]" "$T/dump"
check "dump: CPS_PRIV_SIG" grep -q "Private RSA Key \[CPS_PRIV_SIG\]" "$T/dump"
check "dump: CPS_PRIV_AUT" grep -q "Private RSA Key \[CPS_PRIV_AUT\]" "$T/dump"
check "dump: token serial from EF.SN.ICC" grep -q "Serial number  : 0000019921000101" "$T/dump"
for k in auth:$AUT sign:$SIG; do
	name=${k%%:*}
	pkcs15-tool --read-certificate "${k#*:}" > "$T/$name.pem" 2> /dev/null
	openssl x509 -in "$T/$name.pem" -outform DER -out "$T/$name.der" 2> /dev/null
	check "read-certificate $name = PKI file" cmp -s "$T/$name.der" "$PKI/$name.crt.der"
done
openssl x509 -in "$T/auth.pem" -pubkey -noout > "$T/auth.pub"

# -- PKCS#11: RSA-PKCS signature with the auth key (INTERNAL AUTHENTICATE)
printf 'santecard test message' > "$T/msg"
openssl dgst -sha256 -binary "$T/msg" > "$T/hash"
{ printf '\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20'
  cat "$T/hash"; } > "$T/di"
p11 --login --pin 1234 --sign --mechanism RSA-PKCS --id $AUT -i "$T/di" -o "$T/sig" > "$T/out" 2>&1
check "pkcs11-tool RSA-PKCS sign (auth key)" test $? = 0
check "signature verifies with the auth certificate" \
	openssl pkeyutl -verify -pubin -inkey "$T/auth.pub" -in "$T/hash" -sigfile "$T/sig" \
	-pkeyopt digest:sha256
check "signature also verifies with openssl dgst" \
	openssl dgst -sha256 -verify "$T/auth.pub" -signature "$T/sig" "$T/msg"

# -- PKCS#11: decrypt (PSO DECIPHER with chaining)
head -c 32 /dev/urandom > "$T/secret"
openssl pkeyutl -encrypt -pubin -inkey "$T/auth.pub" -in "$T/secret" -out "$T/ct" \
	-pkeyopt rsa_padding_mode:pkcs1
p11 --login --pin 1234 --decrypt --mechanism RSA-PKCS --id $AUT -i "$T/ct" -o "$T/pt" > "$T/out" 2>&1
check "pkcs11-tool RSA-PKCS decrypt" test $? = 0
check "decrypted = encrypted" cmp -s "$T/pt" "$T/secret"

# -- SHA256-RSA-PKCS on the signature key: host-side limit of Debian's OpenSC
p11 --login --pin 1234 --sign --mechanism SHA256-RSA-PKCS --id $SIG -i "$T/msg" -o "$T/sig2" \
	> "$T/out" 2>&1
check "SHA256-RSA-PKCS on SIG fails" test $? != 0
check "... with CKR_FUNCTION_NOT_SUPPORTED" grep -q CKR_FUNCTION_NOT_SUPPORTED "$T/out"

# -- PIN counter
# (the logins above left the PIN verified: the card is not reset between clients)
p11 --login --pin 9999 -O > "$T/out" 2>&1
check "wrong PIN refused" grep -q CKR_PIN_INCORRECT "$T/out"
check "PIN status: 2 tries" test "$(sw '00 20 00 01 00')" = "63 C2"
p11 --login --pin 1234 -O > /dev/null 2>&1
check "right PIN accepted" test $? = 0
check "PIN status: verified" test "$(sw '00 20 00 01 00')" = "90 00"
p11 --login --pin 9999 -O > /dev/null 2>&1
check "counter was reset to 3 by the right PIN" test "$(sw '00 20 00 01 00')" = "63 C2"
for i in 1 2; do p11 --login --pin 9999 -O > /dev/null 2>&1; done
check "three wrong PINs: blocked" test "$(sw '00 20 00 01 00')" = "69 83"
p11 --login --pin 1234 -O > "$T/out" 2>&1
check "blocked PIN: CKR_PIN_LOCKED" grep -q CKR_PIN_LOCKED "$T/out"

tb_summary
