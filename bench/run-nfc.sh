#!/bin/bash
# bench/run-nfc.sh [COUNT]: the NFC path's costs (`make bench-nfc`, figures in
# docs/PERFORMANCE.md), in the private test bed with pcscd not logging:
#  - APDU round trip through pcscd + drivers/nfc + libnfc + pty + the PN532
#    model + ISO 14443-4 + the test card, for a one-block exchange and for a
#    256-byte answer (GET CHALLENGE: five chained blocks of 64 bytes), next to the same APDUs
#    through vpcd (pcscd + vpcd socket + the same card);
#  - card arrival and removal -> PC/SC event (SCardGetStatusChange), the card
#    moved through the simulator's control socket.
here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$here/..}"
count=${1:-500}
if [ -z "${TESTBED_DIR:-}" ]; then
	: "${NFC_DRIVER:=$top_builddir/.libs/libsantecard_nfc.so}"
	NFC_DIR=$(mktemp -d /tmp/santecard-nfc.XXXXXX) || exit 1
	cat > "$NFC_DIR/reader.conf" <<CONF
FRIENDLYNAME "Santecard NFC"
DEVICENAME   pn532_uart:$NFC_DIR/pn532
LIBPATH      $NFC_DRIVER
CONF
	export LIBNFC_AUTO_SCAN=false LIBNFC_INTRUSIVE_SCAN=false LIBNFC_LOG_LEVEL=0
	export TESTBED_READER_CONF="$NFC_DIR/reader.conf" NFC_DIR top_builddir TESTBED_PCSCD_FLAGS=" "
	"$here/../tests/integration/testbed" --cards "test none" "$here/run-nfc.sh" "$count"
	rc=$?
	rm -rf "$NFC_DIR"
	exit $rc
fi
. "$here/../tests/integration/lib.sh"
D=$NFC_DIR
P="$top_builddir/tests/integration/nfc_pcsc"
santecard-sim --card test --pn532 "$D/pn532" --control "$D/sim.sock" > "$TESTBED_DIR/nfc.log" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null; wait $sim 2>/dev/null' EXIT
tb_wait_for test -L "$D/pn532" || { echo "the PN532 emulator did not start"; exit 1; }
tb_pcscd stop && tb_pcscd start || exit 1
tb_wait_for sh -c "'$P' 'Santecard NFC 00 00' atr" || { echo "no card in the NFC reader"; exit 1; }

SEL="00 A4 04 0C 08 F0 53 54 43 54 45 53 54"
echo "APDU round trip, $count exchanges each (ms):"
for r in "Santecard NFC 00 00" "Virtual PCD 00 00"; do
	echo "  $r, SELECT (13 bytes out, SW back):"
	"$P" "$r" "apdu:$SEL" "rtt:$count:$SEL" | sed -n 's/^rtt: /    /p'
	len=$("$P" "$r" "apdu:00 84 00 00 00" | awk '/^< / { print NF - 1 }')
	echo "  $r, GET CHALLENGE 256 ($len bytes back with the SW):"
	"$P" "$r" "rtt:$count:00 84 00 00 00" | sed -n 's/^rtt: /    /p'
done
n=$(( count / 25 )); [ "$n" -ge 5 ] || n=5
echo "Card movement -> PC/SC event, $n times each (ms):"
"$P" "Santecard NFC 00 00" "arrival:$n:$D/sim.sock" | sed 's/^/  NFC  /'
"$P" "Virtual PCD 00 00" "arrival:$n:$TESTBED_SIM0_CTL" | sed 's/^/  vpcd /'
