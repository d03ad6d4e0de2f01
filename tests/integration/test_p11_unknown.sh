#!/bin/bash
# santecard-pkcs11 with a card it does not know (santecard-sim's test card in
# reader 0) next to a CPS3 (reader 1): the unknown card is no token, never
# blocks the caller, and the CPS works beside it.
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${TESTBED_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test bed needs root for its private namespaces"
		exit 77
	fi
	command -v pkcs11-tool > /dev/null || { echo "SKIP: pkcs11-tool not installed"; exit 77; }
	exec "$here/testbed" --cards "test cps-doctor" "$here/$(basename "$0")"
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
check "-L: the CPS beside it" grep -q "token label *: CPS3v3-9921000101" "$T/L"
p11 -T > "$T/T" 2>&1
check "-T: one token" test "$(grep -c 'token label' "$T/T")" = 1
for i in 1 2 3; do p11 --slot 1 -I > /dev/null 2>&1 || true; done
p11 --slot 1 --login --pin 1234 -O > "$T/O" 2>&1
check "unknown slot: not opened" grep -q "CKR_TOKEN_NOT_RECOGNIZED" "$T/O"
p11 --slot 2 --login --pin 1234 --sign -m SHA256-RSA-PKCS --id e828bd080f8025000001ff001002 \
	-i "$T/L" -o "$T/sig" > "$T/out" 2>&1
check "the CPS signs" test $? = 0

tb_summary
