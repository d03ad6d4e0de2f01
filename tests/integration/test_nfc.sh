#!/bin/bash
# The NFC path end to end: the real pcscd loads our NFC driver (drivers/nfc)
# from reader.conf, the driver talks to the real libnfc, whose pn532_uart
# driver opens a pseudo-terminal where santecard-sim --pn532 is a PN532 with a
# simulated contactless CPS3 (type A) in its field; a second PN532 holds the
# test card as a type B card. Checks: the PC/SC part 3 ATRs, the token layer
# reading the technical certificate and signing without a PIN (openssl
# verifies), chained blocks both ways, card taken off the field and put back,
# reset, and the reader killed (IFD_NO_SUCH_DEVICE, a clean client error).
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${TESTBED_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test bed needs root for its private namespaces"
		exit 77
	fi
	: "${top_builddir:=$(cd "$here/../.." && pwd)}"
	: "${NFC_DRIVER:=$top_builddir/.libs/libsantecard_nfc.so}"
	[ -f "$NFC_DRIVER" ] || { echo "NFC driver $NFC_DRIVER not built (make)"; exit 1; }
	NFC_DIR=$(mktemp -d /tmp/santecard-nfc.XXXXXX) || exit 1
	cat > "$NFC_DIR/reader.conf" <<CONF
FRIENDLYNAME "Santecard NFC"
DEVICENAME   pn532_uart:$NFC_DIR/pn532a
LIBPATH      $NFC_DRIVER

FRIENDLYNAME "Santecard NFC B"
DEVICENAME   pn532_uart:$NFC_DIR/pn532b
LIBPATH      $NFC_DRIVER
CONF
	# libnfc: no scanning, ever (only the connection strings above are opened)
	export LIBNFC_AUTO_SCAN=false LIBNFC_INTRUSIVE_SCAN=false LIBNFC_LOG_LEVEL=${LIBNFC_LOG_LEVEL:-1}
	export TESTBED_READER_CONF="$NFC_DIR/reader.conf" NFC_DIR top_builddir
	"$here/testbed" --cards "none none" "$here/$(basename "$0")"
	rc=$?
	rm -rf "$NFC_DIR"
	exit $rc
fi
. "$here/lib.sh"
[ -n "${NFC_TRACE:-}" ] && { PS4='+ $(date +%s.%N | cut -c7-14) '; set -x; }
T=$TESTBED_DIR
D=$NFC_DIR
PKI=$SANTECARD_PKI_DIR/cps-doctor
TOOL="$top_builddir/tests/integration/cps_token_tool"
NFCP="$top_builddir/tests/integration/nfc_pcsc"
RA='Santecard NFC 00 00'
RB='Santecard NFC B 01 00'
CPS3_CL_ATR='3B 8F 80 01 00 31 B8 64 04 B0 EC C1 73 94 01 80 82 90 00 0E'

santecard-sim --profile cps-doctor --contactless --pn532 "$D/pn532a" --control "$D/a.sock" \
	--state "$D/a.state" -vv > "$T/nfc-a.log" 2>&1 &
sim_a=$!
santecard-sim --card test --pn532 "b:$D/pn532b" --control "$D/b.sock" -v > "$T/nfc-b.log" 2>&1 &
sim_b=$!
trap 'kill $sim_a $sim_b 2>/dev/null; wait $sim_a $sim_b 2>/dev/null' EXIT
tb_wait_for test -L "$D/pn532a" -a -L "$D/pn532b" || { echo "the PN532 emulators did not start"; exit 1; }
# pcscd opened reader.conf's readers before the emulators existed: restart it
tb_pcscd stop && tb_pcscd start || exit 1

nfc() { echo "$1" | socat -t2 - "UNIX-CONNECT:$D/$2.sock"; }
# atr READER: the ATR santecard status shows for READER ("" when no card)
atr() { santecard status --reader "$1" 2>/dev/null | sed -n 's/^ *ATR: *//p' | head -n 1; }
has_atr() { [ "$(atr "$1")" = "$2" ]; }
no_card() { [ -z "$(atr "$1")" ]; }

# -- 1. readers and ATRs (PC/SC part 3: 3B 8n 80 01 + ATS / ATQB bytes + TCK)
check "pcscd loaded the NFC readers" tb_wait_for grep -q "Santecard NFC B" "$TESTBED_PCSCD_LOG"
check "CPS3 contactless: ATR from its ATS" tb_wait_for has_atr "$RA" "$CPS3_CL_ATR" ||
	{ echo "  (ATR: $(atr "$RA"))"; santecard status --reader "$RA"; }
# test card (historical bytes 80 57 53 54 ...) as type B: application data,
# protocol info 00 51 81, MBLI 0, TCK
check "type B card: ATR from its ATQB" tb_wait_for has_atr "$RB" '3B 88 80 01 80 57 53 54 00 51 81 00 09' ||
	echo "  (ATR: $(atr "$RB"))"

# -- 2. the token layer: technical certificate and key, no PIN
"$TOOL" "$RA" objects "read:Certificat Technique CPS:$T/tech.der" pininfo \
	"sign:CPS_PRIV_TECH_AUT:sha256:$TOOL:$T/t.sig" > "$T/cl" 2>&1
check "contactless token: the technical key and certificate only" test "$(grep -c '^object' "$T/cl")" = 2
check "technical certificate = the PKI's (chained 64-byte frames)" cmp -s "$T/tech.der" "$PKI/tech.crt.der"
check "no PIN contactless" grep -qx 'pininfo: STC_ERR_NOT_SUPPORTED' "$T/cl"
openssl x509 -inform DER -in "$PKI/tech.crt.der" -pubkey -noout > "$T/tech.pub"
check "technical key signs without a PIN (openssl verifies)" \
	openssl dgst -sha256 -verify "$T/tech.pub" -signature "$T/t.sig" "$TOOL"
check "the emulator saw the APDUs through ISO 14443-4" grep -q 'C> 00 88 00 00' "$T/nfc-a.log"

# -- 3. type B: APDUs, command and answer chaining (ECHO of 200 bytes)
data=$(seq 0 199 | xargs printf '%02X ')
santecard apdu --reader "$RB" --raw "00 A4 04 0C 08 F0 53 54 43 54 45 53 54" "80 E0 00 00 C8 $data" \
	"00 C0 00 00 C8" > "$T/b.out" 2>&1
check "type B: SELECT" grep -q '^< 90 00' "$T/b.out"
check "type B: 200 bytes out and back" grep -q "^< ${data}90 00" "$T/b.out" || head -c 600 "$T/b.out"

# -- 4. card off the field and back
check "remove the CPS3" test "$(nfc remove a)" = ok
check "pcscd sees the card gone" tb_wait_for no_card "$RA"
"$TOOL" "$RA" objects > "$T/gone" 2>&1
check "token layer without the card: a clean error" test -s "$T/gone"
check "put the CPS3 back" test "$(nfc insert a)" = ok
check "pcscd sees the card again" tb_wait_for has_atr "$RA" "$CPS3_CL_ATR"
"$TOOL" "$RA" "read:Certificat Technique CPS:$T/tech2.der" > "$T/back" 2>&1
check "certificate read again after reinsertion" cmp -s "$T/tech2.der" "$PKI/tech.crt.der"
check "emulator: the card left and came back" grep -q 'card removed' "$T/nfc-a.log"

# -- 5. reset: deselect + reselect, the same ATR, the card answers again
"$NFCP" "$RA" "apdu:00 A4 04 0C 0D E8 28 BD 08 0F 80 25 00 00 01 FF 00 20" reset \
	"apdu:00 A4 04 0C 0D E8 28 BD 08 0F 80 25 00 00 01 FF 00 20" > "$T/reset.out" 2>&1
check "reset: the same ATR" grep -qx "atr: $CPS3_CL_ATR" "$T/reset.out" || cat "$T/reset.out"
check "reset: the card answers before and after" test "$(grep -c '^< 90 00$' "$T/reset.out")" = 2

# -- 6. the reader goes away: IFD_NO_SUCH_DEVICE, clients get an error
kill "$sim_a"; wait "$sim_a" 2>/dev/null
check "driver: reader gone reported" tb_wait_for grep -q 'does not answer any more' "$TESTBED_PCSCD_LOG"
start=$(date +%s)
"$NFCP" "$RA" "apdu:00 A4 04 0C 00" > "$T/dead.out" 2>&1
rc=$?
check "client on the dead reader: an error, not a hang" test "$rc" != 0 -a $(( $(date +%s) - start )) -lt 10
# pcscd 1.9.9 keeps a reader.conf reader whose driver says IFD_NO_SUCH_DEVICE:
# connecting fails at power up (SCARD_W_UNPOWERED_CARD), or the reader is
# reported unavailable / unknown by newer versions
check "client on the dead reader: PC/SC says why" \
	grep -Eq '^error: .*\((0x80100067|0x80100017|0x80100069|0x80100009)\)$' "$T/dead.out"
echo "  (client: $(cat "$T/dead.out"))"
check "the type B reader still works" \
	sh -c "santecard apdu --reader '$RB' --raw '00 A4 04 0C 08 F0 53 54 43 54 45 53 54' | grep -q '^< 90 00'"

tb_summary
