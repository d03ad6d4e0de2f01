#!/bin/bash
# The Vitale 2 / Vitale 1 simulators and the reader-test applet through the real
# PC/SC stack (pcscd + vpcd + santecard-sim), read by an independent client
# (opensc-tool, which does the T=0 GET RESPONSE and 6C xx retries itself).
# Two test beds: --cards "vitale-family vitale1", then --cards "readertest none".
here=$(cd "$(dirname "$0")" && pwd)
self="$here/$(basename "$0")"
if [ -z "${TESTBED_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test bed needs root for its private namespaces"
		exit 77
	fi
	command -v opensc-tool > /dev/null || { echo "SKIP: opensc-tool not installed"; exit 77; }
	log=$(mktemp) || exit 99
	rc=0
	VITALE_PART=vitale "$here/testbed" --cards "vitale-family vitale1" "$self" | tee "$log" || rc=1
	VITALE_PART=readertest "$here/testbed" --cards "readertest none" "$self" | tee -a "$log" || rc=1
	# The closing line: the sum of both parts (a part that died counts as a failure).
	p=0 f=0 parts=0
	while read -r a _ b _; do
		p=$((p + a)) f=$((f + b)) parts=$((parts + 1))
	done < <(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log")
	rm -f "$log"
	[ "$parts" = 2 ] || { f=$((f + 1)); rc=1; }
	echo "$p passed, $f failed"
	[ "$rc" = 0 ] && [ "$f" = 0 ]
	exit $?
fi
. "$here/lib.sh"
PY=/usr/bin/python3
out=$TESTBED_DIR/out

# apdu_data FILE N: the data bytes (hex, no spaces) of the N-th "Received" block
# of an opensc-tool output, then its SW on a second line.
cat > "$TESTBED_DIR/otool.py" <<'PYEOF'
import re, sys

def blocks(path):
    """[(data bytes, sw)] for each APDU of an opensc-tool -s ... output."""
    res, data, sw = [], None, None
    for line in open(path, encoding="latin-1"):
        m = re.match(r"Received \(SW1=0x([0-9A-Fa-f]{2}), SW2=0x([0-9A-Fa-f]{2})\)", line)
        if m:
            if data is not None:
                res.append((bytes(data), sw))
            data, sw = bytearray(), int(m.group(1) + m.group(2), 16)
            continue
        if line.startswith("Sending:"):
            if data is not None:
                res.append((bytes(data), sw))
            data = None
            continue
        m = re.match(r"((?:[0-9A-F]{2} ){1,16})", line)
        if data is not None and m:
            data += bytes.fromhex(m.group(1))
    if data is not None:
        res.append((bytes(data), sw))
    return res

def tlv(d):
    """Top-level BER-TLV (1-byte tags, short lengths); 00 bytes are padding."""
    i, out = 0, []
    while i < len(d):
        if d[i] == 0:
            i += 1
            continue
        t, l = d[i], d[i + 1]
        assert l < 0x80 and i + 2 + l <= len(d), "bad TLV at %d" % i
        out.append((t, d[i + 2:i + 2 + l]))
        i += 2 + l
    return out
PYEOF

if [ "$VITALE_PART" = vitale ]; then
	# -- ATRs in santecard status
	santecard status --json > "$out"
	check "status --json exits 0" test $? = 0
	check "Vitale 2 ATR in reader 0, Vitale 1 ATR (inverse) in reader 1" $PY - "$out" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))["readers"]
assert r[0]["atr"] == "3B751300004909EA9000", r[0]
assert r[0]["atr_info"]["valid"] and r[0]["atr_info"]["protocols"] == ["T=0"], r[0]
assert r[1]["atr"] == "3F6525002209F99000", r[1]
assert r[1]["atr_info"]["valid"] and r[1]["atr_info"]["convention"] == "inverse", r[1]
PYEOF
	santecard status > "$out"
	check "status shows the Vitale 1 ATR" grep -qx '  ATR:    3F 65 25 00 22 09 F9 90 00' "$out"

	# -- RUFUS's sequence
	opensc-tool -r 0 -s '00 A4 00 00 02 3F 00' -s '00 B0 82 00 00' \
		-s '00 A4 04 00 0B D2 50 00 00 02 56 49 54 41 4C 45' -s '00 B0 82 00 00' > "$out" 2>&1
	check "RUFUS sequence: opensc-tool exits 0" test $? = 0
	check "RUFUS sequence: the three people and NIRs in order" $PY - "$out" "$TESTBED_DIR" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[2])
from otool import blocks, tlv
b = blocks(sys.argv[1])
assert [sw for _, sw in b] == [0x9000] * 4, b
ident = tlv(b[1][0])
people = []
for t, v in ident:
    if t == 0x65:
        f = dict(tlv(v))
        people.append((f[0x80].decode("latin-1").strip(), f[0x81].decode("latin-1").strip(),
                       f[0x82].decode()))
assert people == [("MARTIN-TEST", "PIERRE", "19790314"), ("MARTIN-TEST", "SOPHIE", "19811102"),
                  ("MARTIN-TEST", "L\u00c9A", "20120721")], people
assert (0x66, b"\x80\x0820190903") in ident, ident
nirs = [dict(tlv(v))[0x93].decode() for t, v in tlv(b[3][0]) if t == 0x65]
assert nirs == ["179036912304535", "281112A00401815", "212076938311224"], nirs
PYEOF
	# pcscd's APDU log (the testbed runs it with -d -a): the card's own answers
	check "RUFUS sequence: 00 B0 82 00 00 answered 6C D2, retried with Le D2" sh -c \
		"grep -A1 'APDU: 00 B0 82 00 00 \$' '$TESTBED_PCSCD_LOG' | grep -q 'SW: 6C D2 \$' &&
		 grep -q 'APDU: 00 B0 82 00 D2 \$' '$TESTBED_PCSCD_LOG'"

	# -- the node reader's sequence (opensc-tool fetches the FCI itself, so the
	# explicit GET RESPONSE that follows finds nothing pending)
	opensc-tool -r 0 -s '00 A4 04 00 0E D2 50 00 00 02 4D 46 5F 56 49 54 41 4C 45 00' \
		-s '00 A4 02 00 02 D0 01 00' -s '00 C0 00 00 1E' -s '00 B0 00 00 7C' > "$out" 2>&1
	check "node sequence: opensc-tool exits 0" test $? = 0
	check "node sequence: 30-byte FCI of D001, identity in 124 bytes" $PY - "$out" "$TESTBED_DIR" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[2])
from otool import blocks, tlv
b = blocks(sys.argv[1])
assert b[0][1] == 0x9000 and b[0][0][:2] == b"\x6F\x1A", b[0]
fci, sw = b[1]
assert sw == 0x9000 and len(fci) == 30 and fci[:6] == b"\x6F\x1C\x83\x02\xD0\x01", b[1]
assert b[2][1] == 0x6985, b[2]
data, sw = b[3]
assert sw == 0x9000 and len(data) == 124, b[3]
t, v = tlv(data[:2 + data[1]])[0]
f = dict(tlv(v))
assert t == 0x65 and f[0x80].rstrip(b" ") == b"MARTIN-TEST" and f[0x81].rstrip(b" ") == b"PIERRE", f
PYEOF
	check "node sequence: SELECT D001 (opensc sends it without Le, T=0) answered 61 1E, GET RESPONSE 1E answered 30 bytes" sh -c \
		"grep -A1 'APDU: 00 A4 02 00 02 D0 01 \$' '$TESTBED_PCSCD_LOG' | grep -q 'SW: 61 1E \$' &&
		 grep -A1 'APDU: 00 C0 00 00 1E \$' '$TESTBED_PCSCD_LOG' | grep -q 'SW: 6F 1C 83 02 D0 01 .* 90 00 \$'"

	# -- Vitale 1
	opensc-tool -r 1 -s 'BC C0 00 00 08' -s 'BC B0 02 00 10' -s 'BC B0 21 88 04' \
		-s 'BC B0 21 90 04' -s '00 A4 00 00 02 3F 00' > "$out" 2>&1
	check "Vitale 1: opensc-tool exits 0" test $? = 0
	check "Vitale 1: ADMAX, first words from the profile, last word, past ADMAX, CLA 00" \
		$PY - "$out" "$TESTBED_DIR" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[2])
from otool import blocks
b = blocks(sys.argv[1])
assert b[0] == (bytes.fromhex("0000218800000200"), 0x9000), b[0]
assert b[1] == (bytes(range(16)), 0x9000), b[1]
assert b[2][1] == 0x9000 and len(b[2][0]) == 4, b[2]
assert b[3] == (b"", 0x6B00), b[3]
assert b[4] == (b"", 0x6E00), b[4]
PYEOF
else
	# -- reader-test applet (short APDUs: opensc-tool's default driver refuses
	# extended ones; those are covered by tests/unit/check_readertest)
	santecard status > "$out"
	check "readertest ATR shown" grep -qx '  ATR:    3B 8B 81 31 FE 45 80 73 80 01 40 55 53 54 43 52 54 A5' "$out"
	check "readertest is T=1" grep -q 'T=1, direct convention' "$out"
	opensc-tool -r 0 -s '80 30 00 00' -s '80 34 00 00 10' -s '80 32 00 05 03 05 06 07' \
		-s '80 32 00 05 03 05 06 08' -s '80 36 00 01 02 01 02 04' -s '80 34 01 00 08' \
		-s '80 34 00 00 00' -s "80 36 00 00 FF $(for i in $(seq 0 254); do printf '%02X ' "$i"; done)00" \
		-s '80 99 00 00' -s '00 30 00 00' > "$out" 2>&1
	check "readertest: opensc-tool exits 0" test $? = 0
	check "readertest: cases 1-4, 6A80 on a wrong byte, T=0-style 61xx, Le 256, Lc 255, 6D00/6E00" \
		$PY - "$out" "$TESTBED_DIR" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[2])
from otool import blocks
b = blocks(sys.argv[1])
pat = lambda n: bytes(i & 0xFF for i in range(n))
assert b[0] == (b"", 0x9000), b[0]
assert b[1] == (pat(16), 0x9000), b[1]
assert b[2] == (b"", 0x9000), b[2]
assert b[3] == (b"", 0x6A80), b[3]
assert b[4] == (pat(4), 0x9000), b[4]
assert b[5] == (pat(8), 0x9000), b[5]
assert b[6] == (pat(256), 0x9000), b[6]
assert b[7] == (pat(256), 0x9000), b[7]
assert b[8] == (b"", 0x6D00), b[8]
assert b[9] == (b"", 0x6E00), b[9]
PYEOF
	start=$(date +%s%N)
	opensc-tool -r 0 -s '80 38 01 F4' > "$out" 2>&1
	ms=$((($(date +%s%N) - start) / 1000000))
	check "readertest: 80 38 01 F4 answers 9000 after >= 500 ms (${ms} ms)" \
		sh -c "grep -q 'SW1=0x90, SW2=0x00' '$out' && [ $ms -ge 500 ]"
fi

tb_summary
