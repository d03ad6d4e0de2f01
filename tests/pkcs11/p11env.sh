# p11env.sh - what the PKCS#11 client tests and benchmarks share. Source it.
#
# P11_MODULE: the module under test. The one switch between santecard's module
# and Debian's OpenSC (the reference that drives the simulated CPS3 too):
#   P11_MODULE=opensc | santecard | /path/to/module.so
# Default: santecard's module from the build tree (P11_DEFAULT below).
: "${top_builddir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
OPENSC_MODULE=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
SANTECARD_MODULE=$top_builddir/pkcs11/.libs/santecard-pkcs11.so
P11_DEFAULT=santecard
case "${P11_MODULE:-$P11_DEFAULT}" in
opensc) P11_MODULE=$OPENSC_MODULE ;;
santecard) P11_MODULE=$SANTECARD_MODULE ;;
esac
export P11_MODULE OPENSC_MODULE SANTECARD_MODULE

# The simulated cps-doctor card (firmware/profiles/cps-doctor.profile: pin = 1234).
# Labels are the vendor's (Cryptolib), which OpenSC's PKCS#15 emulation shows too.
P11_PIN=1234
P11_AUTH_KEY_LABEL=CPS_PRIV_AUT
P11_AUTH_CERT_LABEL="Certificat d'Authentification CPS"
# the key as a pkcs11: URI (RFC 7512)
P11_AUTH_KEY_URI="pkcs11:object=CPS_PRIV_AUT;type=private"

# p11_need_module: fail with the reason when the module is missing (make builds it:
# a missing module is a failure, not a skip).
p11_need_module() {
	[ -f "$P11_MODULE" ] && return 0
	echo "FAIL: PKCS#11 module $P11_MODULE not found (make?)"
	exit 1
}

# p11_auth_id MODULE: the CKA_ID (hex) of the authentication certificate, which the
# private key shares (pkcs11-tool --sign selects keys by --id only).
p11_auth_id() {
	p11_run pkcs11-tool --module "$1" -O --type cert 2>/dev/null |
		awk -v l="$P11_AUTH_CERT_LABEL" '$1 == "label:" { sub(/^ *label: */, ""); hit = ($0 == l) }
			hit && $1 == "ID:" { print $2; exit }'
}

# A module built with --enable-sanitizers needs the ASan runtime loaded first in the
# (uninstrumented) client: p11_run CMD... runs a client so; leaks are the module's
# unit tests' business, not the clients'.
P11_PRELOAD=()
if ldd "$P11_MODULE" 2>/dev/null | grep -q libasan; then
	P11_PRELOAD=(env "LD_PRELOAD=$(gcc -print-file-name=libasan.so)" ASAN_OPTIONS=detect_leaks=0)
fi
# (bounded: a client that hangs fails the test instead of stalling it)
p11_run() { timeout 120 "${P11_PRELOAD[@]}" "$@"; }
