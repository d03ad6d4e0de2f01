#!/bin/bash
# The Check suite check_p11 (every CKR path of santecard-pkcs11.so: before
# C_Initialize, locking arguments, slots, sessions, objects, login, sign,
# verify, decrypt, digest, random, C_WaitForSlotEvent, card removal, pcscd
# restart, PIN counter) against the private PC/SC test bed.
here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$here/../..}"
export top_builddir
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: the test bed needs root for its private namespaces"
	exit 77
fi
exec "$here/testbed" --cards "cps-doctor vitale-family" "$top_builddir/tests/integration/check_p11"
