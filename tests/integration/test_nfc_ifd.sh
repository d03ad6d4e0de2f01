#!/bin/bash
# The NFC driver's IFD handler contract, without pcscd (no root needed): the
# driver dlopened by tests/integration/nfc_ifd, a PN532 emulator with a
# contactless CPS3 on a pty, the card moved through the control socket.
here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$(cd "$here/../.." && pwd)}"
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${NFC_DRIVER:=$top_builddir/.libs/libsantecard_nfc.so}"
export LIBNFC_AUTO_SCAN=false LIBNFC_INTRUSIVE_SCAN=false LIBNFC_LOG_LEVEL=${LIBNFC_LOG_LEVEL:-0}
D=$(mktemp -d /tmp/santecard-nfc-ifd.XXXXXX) || exit 99
trap 'kill $sim 2>/dev/null; wait $sim 2>/dev/null; rm -rf "$D"' EXIT
"$top_builddir/santecard-sim" --profile-dir "$top_srcdir/firmware/profiles" \
	--pki-dir "$top_builddir/pki" --profile cps-doctor --contactless \
	--pn532 "$D/pn532" --control "$D/ctl" -v > "$D/sim.log" 2>&1 &
sim=$!
for _ in $(seq 100); do [ -L "$D/pn532" ] && [ -S "$D/ctl" ] && break; sleep 0.05; done
[ -L "$D/pn532" ] || { cat "$D/sim.log"; echo "the PN532 emulator did not start"; exit 1; }
"$top_builddir/tests/integration/nfc_ifd" "$NFC_DRIVER" "$D/pn532" "$D/ctl" "$sim" 2> "$D/driver.log"
rc=$?
[ "$rc" = 0 ] || { echo "--- driver log"; tail -n 20 "$D/driver.log"; echo "--- emulator log"; tail -n 20 "$D/sim.log"; }
exit $rc
