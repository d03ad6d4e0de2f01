#!/bin/bash
# The public-data cache (src/lib/cache.c) through the real pcscd and the
# simulated CPS3: a cold listing reads the PKCS#15 files and stores them, a
# second process on a warm cache sends only the EF.SN.ICC and EF_ACTUA APDUs;
# certificates come back byte-identical; nothing PIN-protected and no data
# object is ever written; STC_NO_CACHE=1 writes nothing.
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${TESTBED_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test bed needs root for its private namespaces"
		exit 77
	fi
	exec "$here/testbed" --cards "cps-doctor none" "$here/$(basename "$0")"
fi
. "$here/lib.sh"
T=$TESTBED_DIR
PKI=$SANTECARD_PKI_DIR/cps-doctor
TOOL="$top_builddir/tests/integration/cps_token_tool"
R0='Virtual PCD 00 00'
apdus() { grep -c ' APDU: ' "$TESTBED_PCSCD_LOG" || true; }
unset STC_NO_CACHE   # make check turns the cache off for the other tests
export XDG_CACHE_HOME="$T/xdg"
C="$XDG_CACHE_HOME/santecard"
mkdir -p "$XDG_CACHE_HOME"
AUTH="Certificat d'Authentification CPS"
SIGN="Certificat de Signature CPS"

[ -f "$PKI/auth.crt.der" ] || { echo "no PKI in $PKI (make pki)"; exit 1; }

# -- STC_NO_CACHE=1: the same listing as without a cache, nothing written
n0=$(apdus)
STC_NO_CACHE=1 "$TOOL" "$R0" objects "read:$AUTH:$T/auth0.der" > "$T/objects0"
n1=$(apdus)
check "STC_NO_CACHE=1: no cache directory" test ! -e "$C"
nocache=$((n1 - n0))

# -- cold: the serial and EF_ACTUA, then everything from the card
"$TOOL" "$R0" objects > "$T/objects1"
n2=$(apdus)
cold=$((n2 - n1))
check "cold listing: 13 APDUs (EF.SN.ICC, EF_ACTUA + the 11 of a listing)" test "$cold" = 13 ||
	echo "  (saw $cold)"
check "cache directory 0700" test "$(stat -c %a "$C")" = 700
card=$(find "$C" -mindepth 1 -maxdepth 1 -type d)
check "one card directory, keyed by serial and no EF_ACTUA" \
	test "$(basename "$card")" = "$(basename "$card" | grep -E '^[0-9a-f]{24}-none$')"
check "card directory 0700" test "$(stat -c %a "$card")" = 700
check "entries are 0600 files, no temporary file left" \
	test -z "$(find "$card" -mindepth 1 \( ! -type f -o ! -perm 0600 -o -name '.tmp*' \))"
check "ODF, TokenInfo, PrKDF, CDF, DODF cached" test "$(find "$card" -type f | wc -l)" = 5

# -- warm: a second process lists with the two key APDUs only
"$TOOL" "$R0" objects > "$T/objects2"
n3=$(apdus)
warm=$((n3 - n2))
check "warm listing: 2 APDUs (EF.SN.ICC by SFI, EF_ACTUA)" test "$warm" = 2 || echo "  (saw $warm)"
check "warm listing = cold listing" cmp -s "$T/objects1" "$T/objects2"
check "cached listing = uncached listing" test "$(grep '^object' "$T/objects0")" = "$(cat "$T/objects2")"

# -- certificates: stored on first read, served byte-identical
"$TOOL" "$R0" "read:$AUTH:$T/auth1.der" "read:$SIGN:$T/sign1.der" > /dev/null
n4=$(apdus)
"$TOOL" "$R0" "read:$AUTH:$T/auth2.der" "read:$SIGN:$T/sign2.der" holder > "$T/holder"
n5=$(apdus)
check "warm certificates and holder: 2 APDUs" test $((n5 - n4)) = 2 || echo "  (saw $((n5 - n4)))"
check "authentication certificate from the cache = PKI file" cmp -s "$T/auth2.der" "$PKI/auth.crt.der"
check "signature certificate from the cache = PKI file" cmp -s "$T/sign2.der" "$PKI/sign.crt.der"
check "a cache entry is the authentication certificate" \
	sh -c 'for f in "$1"/*; do cmp -s "$f" "$2" && exit 0; done; exit 1' - "$card" "$PKI/auth.crt.der"
check "holder from the cached certificate" grep -q '^holder: STC_OK|' "$T/holder"

# -- data objects and PIN-protected data never cached
"$TOOL" "$R0" verify:1234 "read:CPS_ACTIVITY_01_PS:$T/act" "read:CPS_ID_CARD:$T/idcard" \
	"read:CPS_NAME_PS:$T/name" pininfo > "$T/pin"
check "PIN-protected data read" grep -q 'read CPS_ACTIVITY_01_PS: STC_OK [1-9]' "$T/pin"
check "AODF cached too: 8 entries (5 files, AODF, 2 certificates)" \
	test "$(find "$card" -type f | wc -l)" = 8 || find "$card" -type f
held() { for f in "$card"/*; do cmp -s "$f" "$1" && return 0; done; return 1; }
check "CPS_ACTIVITY_01_PS (PIN-protected) is not a cache entry" eval '! held "$T/act"'
check "public data objects are not cache entries either" \
	eval 'test -s "$T/idcard" && ! held "$T/idcard" && ! held "$T/name"' 
check "no entry holds the activity data's bytes" \
	/usr/bin/python3 - "$T/act" "$card" <<'PYEOF'
import os, sys
act = open(sys.argv[1], "rb").read()
assert len(act) >= 4
for f in os.listdir(sys.argv[2]):
    assert act not in open(os.path.join(sys.argv[2], f), "rb").read(), f
PYEOF

# -- a corrupt entry is dropped and read again from the card
odf=$(find "$card" -name '3f0000015031')
printf '\x30\x03garbage' > "$odf"
"$TOOL" "$R0" objects > "$T/objects3"
check "a corrupt cached ODF: read again, same listing" cmp -s "$T/objects1" "$T/objects3"
"$TOOL" "$R0" objects > /dev/null
n6=$(apdus)
"$TOOL" "$R0" objects > /dev/null
check "and the cache is warm again" test $(($(apdus) - n6)) = 2

# -- a cache directory with other permissions is not used, nor a symlink
chmod 0777 "$C"
n7=$(apdus)
"$TOOL" "$R0" objects > "$T/objects4"
check "0777 cache directory: not used (the full listing)" test $(($(apdus) - n7)) = 13
check "  ... and left as it was" test "$(stat -c %a "$C")" = 777
rm -rf "$C"
mkdir -m 0700 "$T/elsewhere"
ln -s "$T/elsewhere" "$C"
"$TOOL" "$R0" objects > /dev/null
check "symlinked cache directory: nothing written through it" test -z "$(ls -A "$T/elsewhere")"
rm -f "$C"

echo "  APDUs: listing without cache $nocache (with a certificate), cold $cold, warm $warm"
tb_summary
