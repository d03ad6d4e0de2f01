#!/bin/bash
# demo.sh - the pharmacist scenario of santecard-erx, for `./quickstart demo`:
# the e-prescription stand-in (tests/standins/erx) is started; a prescription is
# made beforehand by the doctor (simulated CPS of a doctor + carte Vitale); then
# the pharmacist (simulated CPS of a pharmacist) reads the QR code, fetches and
# verifies the prescription, and dispenses it in two steps. PINs come from
# --pin-fd (the simulated cards' PIN is 1234). Each part runs in the private
# test bed; the stand-in's database lives in a temporary directory between them.
#   top_builddir=BUILD tests/erx/demo.sh
here=$(cd "$(dirname "$0")" && pwd)
self="$here/$(basename "$0")"
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
export top_srcdir
if [ -z "${TESTBED_DIR:-}" ]; then
	DEMO_DIR=$(mktemp -d /tmp/santecard-erx-demo.XXXXXX) || exit 1
	export DEMO_DIR XDG_STATE_HOME=$DEMO_DIR/state
	printf '\n==> e-prescription: the doctor prescribes (CPS cps-doctor + carte Vitale vitale-family)\n'
	DEMO_PART=doctor "$here/../integration/testbed" --cards "cps-doctor vitale-family" "$self" &&
	printf '\n==> e-prescription: the pharmacist scans the QR code, verifies, dispenses (CPS cps-pharmacist)\n' &&
	DEMO_PART=pharmacist "$here/../integration/testbed" --cards "cps-pharmacist none" "$self"
	rc=$?
	rm -rf "$DEMO_DIR"
	exit $rc
fi
set -e
S=$DEMO_DIR/standin
"$top_srcdir/tests/standins/erx/start" "$S" > /dev/null
. "$S/env"
export SANTECARD_ERX_URL=$ERX_URL SANTECARD_ERX_CA=$ERX_CA
# the module of this build for TLS with the card (an installed one is the default)
[ -f "$top_builddir/pkcs11/.libs/santecard-pkcs11.so" ] &&
	export SANTECARD_PKCS11_MODULE=$top_builddir/pkcs11/.libs/santecard-pkcs11.so
trap '"$top_srcdir/tests/standins/erx/stop" "$S"' EXIT
cd "$DEMO_DIR"
run() { printf '\n$ %s\n' "$*"; "$@" 3<<<1234; }
case $DEMO_PART in
doctor)
	run santecard-erx prescribe --patient vitale --beneficiary 1 \
		--items "$here/items-demo.json" --qr-out prescription.png --pin-fd 3
	;;
pharmacist)
	run santecard-erx fetch --qr prescription.png --pin-fd 3
	printf '[{"line":"1","quantity":1}]\n' > first.json
	run santecard-erx dispense --qr prescription.png --lines first.json --pin-fd 3
	printf '[{"line":"1","quantity":1,"substitute":{"system":"http://data.esante.gouv.fr/ansm/medicament/codeCIP13","code":"3400936000000","display":"AMOXICILLINE GÉNÉRIQUE 1 g"}},{"line":"2","quantity":1}]\n' > rest.json
	run santecard-erx dispense --qr prescription.png --lines rest.json --pin-fd 3
	run santecard-erx fetch --qr prescription.png --pin-fd 3
	;;
esac
