#!/bin/bash
# The simulated CPS3 through the real pcscd, APDU by APDU (santecard apdu):
# the public Cryptolib trace byte for byte, the PIN lifecycle across a simulator
# restart, unblocking with the PUK, and the contactless technical key.
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${TESTBED_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test bed needs root for its private namespaces"
		exit 77
	fi
	exec "$here/testbed" --cards "cps-trace cps-doctor,contactless" "$here/$(basename "$0")"
fi
. "$here/lib.sh"
R0="Virtual PCD 00 00"
R1="Virtual PCD 00 01"
out=$TESTBED_DIR/out
pki=$SANTECARD_PKI_DIR

# -- 1. Cryptolib's card recognition (cards.md §1.7a), raw, byte for byte
santecard apdu --reader "$R0" --raw \
	"00 A4 09 04 04 3F 00 D0 03" "00 C0 00 00 27" "00 B0 00 00 0C" \
	"00 A4 09 04 04 3F 00 D0 10" "00 A4 09 04 04 3F 00 D0 10" \
	"00 A4 09 0C 04 3F 00 00 01" "00 A4 09 0C 02 3F 00" \
	"00 CB 3F FF 0A 4D 08 70 06 BF 81 01 02 A0 80" "00 C0 00 00 18" | grep '^<' > "$out"
cat > "$TESTBED_DIR/want" <<'TRACE'
< 61 27  (61xx: response bytes still available)
< 62 25 80 02 00 0C 82 01 01 83 02 D0 03 88 01 E0 A1 12 8C 07 7B FF FF FF FF FF 00 9C 07 7B FF FF FF FF FF 00 8A 01 05 90 00  (9000: success)
< 5A 0A 80 25 00 00 01 99 21 38 45 0F 90 00  (9000: success)
< 6A 82  (6A82: file or application not found)
< 6A 82  (6A82: file or application not found)
< 90 00  (9000: success)
< 90 00  (9000: success)
< 61 18  (61xx: response bytes still available)
< 70 16 BF 81 01 12 A0 10 9A 01 03 9B 01 03 A1 08 8C 06 F3 00 00 13 FF 00 90 00  (9000: success)
TRACE
check "Cryptolib trace answered byte for byte" cmp -s "$TESTBED_DIR/want" "$out" || diff "$TESTBED_DIR/want" "$out"

# -- 2. SELECT variants of cards.md §1.7b
sw() { santecard apdu --reader "$R0" --raw "$@" | sed -n 's/^< .*\([0-9A-F][0-9A-F] [0-9A-F][0-9A-F]\)  (.*/\1/p' | tr '\n' '|'; }
check "SELECT refusals and acceptances as the real card" \
	test "$(sw "00 A4 02 00 02 A0 01" \
		"00 A4 04 00 0D E8 28 BD 08 0F 80 25 00 00 01 FF 00 10" \
		"00 A4 04 0C 0D E8 28 BD 08 0F 80 25 00 00 01 FF 00 10" \
		"00 A4 04 00 08 80 25 00 00 01 FF 01 00")" = "6A 86|6A 86|90 00|90 00|"

# -- 3. PIN lifecycle (PIN 1234, 3 tries; PUK 12345678)
check "PIN status: not verified, 3 tries" test "$(sw '00 20 00 01 00')" = "63 C3|"
check "wrong PIN: 2 tries left" test "$(sw '00 20 00 01 04 30 30 30 30')" = "63 C2|"
check "the DOCP counter dropped too" sh -c "santecard apdu --reader '$R0' '00 A4 09 0C 02 3F 00' \
	'00 CB 3F FF 0A 4D 08 70 06 BF 81 01 02 A0 80' | grep -q '9B 01 02'"
check "two more wrong PINs: the last try, then blocked" \
	test "$(sw '00 20 00 01 04 30 30 30 30' '00 20 00 01 04 30 30 30 30' '00 20 00 01 00')" = "63 C1|63 C0|69 83|"
tb_sim_restart 0
tb_wait_for santecard apdu --reader "$R0" --raw '00 A4 09 0C 02 3F 00'
check "still blocked after the simulator restarts" test "$(sw '00 20 00 01 00')" = "69 83|"
check "even the right PIN is refused" test "$(sw '00 20 00 01 04 31 32 33 34')" = "69 83|"
# RESET RETRY COUNTER with the PUK and a new PIN (4321)
check "PUK unblocks with a new PIN" \
	test "$(sw '00 2C 00 01 0C 31 32 33 34 35 36 37 38 34 33 32 31')" = "90 00|"
check "the PUK usage counter dropped (100 -> 99)" sh -c "santecard apdu --reader '$R0' '00 A4 09 0C 02 3F 00' \
	'00 CB 3F FF 0A 4D 08 70 06 BF 81 02 02 A0 80' | grep -q '9D 02 00 63'"
check "the new PIN works, the old one not" \
	test "$(sw '00 20 00 01 04 34 33 32 31' '00 20 00 01 04 31 32 33 34')" = "90 00|63 C2|"

# -- 4. contactless: the technical key signs without a PIN; no signature key
printf 'santecard contactless challenge' > "$TESTBED_DIR/msg"
di=$(printf '3031300d060960864801650304020105000420%s' \
	"$(openssl dgst -sha256 -binary "$TESTBED_DIR/msg" | od -An -tx1 | tr -d ' \n')")
santecard apdu --reader "$R1" --json "00 A4 04 0C 0D E8 28 BD 08 0F 80 25 00 00 01 FF 00 20" \
	"00 22 41 A4 06 80 01 02 84 01 81" "00 88 00 00 33 $di 00" > "$out"
check "contactless INTERNAL AUTHENTICATE without PIN" /usr/bin/python3 - "$out" "$TESTBED_DIR/sig" <<'PYEOF'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert [x["sw"] for x in r] == ["9000", "9000", "9000"], r
sig = bytes.fromhex(r[2]["response"])
assert len(sig) == 256, len(sig)
open(sys.argv[2], "wb").write(sig)
PYEOF
/usr/bin/python3 -c "import sys;open(sys.argv[2],'wb').write(bytes.fromhex(sys.argv[1]))" "$di" "$TESTBED_DIR/di"
openssl x509 -inform DER -in "$pki/cps-doctor/tech.crt.der" -pubkey -noout > "$TESTBED_DIR/tech.pub"
check "the technical certificate's key verifies it (openssl)" \
	openssl pkeyutl -verify -out /dev/null -pubin -inkey "$TESTBED_DIR/tech.pub" -in "$TESTBED_DIR/di" -sigfile "$TESTBED_DIR/sig"
check "no signature contactless" test "$(santecard apdu --reader "$R1" --raw \
	"00 22 41 B6 06 80 01 42 84 01 81" "00 2A 9E 9A 00" | sed -n '$s/^< \(.. ..\) .*/\1/p')" != "90 00"

tb_summary
