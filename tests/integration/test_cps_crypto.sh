#!/bin/bash
# CPS signatures, decipher and random through the real pcscd and the simulated
# CPS3 (tests/integration/cps_token_tool driving the token API), checked by
# openssl with the certificates' public keys. Two passes in the test bed:
#   fast: every signature path (SHA-1/SHA-256, single- and multi-part, 0/64/1000
#     bytes, bare hash and DigestInfo, INTERNAL AUTHENTICATE), decipher, random,
#     the contactless technical key without PIN, SECURITY_STATUS before the PIN,
#     APDU counts per path;
#   realistic (--timing realistic): two processes signing at once never
#     interleave their APDUs (santecard-sim --trace), and a card pulled in the
#     middle of PSO CDS gives STC_ERR_CARD_REMOVED, then a signature works again.
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${TESTBED_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test bed needs root for its private namespaces"
		exit 77
	fi
	tr=/tmp/santecard-crypto-trace.$$
	rm -f "$tr".fast "$tr".realistic "$tr".out
	for pass in fast realistic; do
		args="--trace $tr.$pass"
		[ $pass = realistic ] && args="--timing realistic $args"
		TESTBED_SIM_ARGS="$args" "$here/testbed" --cards "cps-doctor cps-doctor,contactless" \
			"$here/$(basename "$0")" $pass "$tr.$pass" 2>&1 | tee -a "$tr.out"
	done
	p=$(sed -n 's/^\([0-9]*\) passed, [0-9]* failed$/\1/p' "$tr.out" | paste -sd+ | bc)
	f=$(sed -n 's/^[0-9]* passed, \([0-9]*\) failed$/\1/p' "$tr.out" | paste -sd+ | bc)
	n=$(grep -c '^[0-9]* passed, [0-9]* failed$' "$tr.out")
	rm -f "$tr".fast "$tr".realistic "$tr".out
	[ "$n" = 2 ] || { echo "a pass did not finish"; f=$((${f:-0} + 1)); }
	echo "${p:-0} passed, ${f:-0} failed"
	[ "${f:-0}" = 0 ]
	exit
fi
. "$here/lib.sh"
pass=$1
trace=$2
T=$TESTBED_DIR
PKI=$SANTECARD_PKI_DIR/cps-doctor
TOOL="$top_builddir/tests/integration/cps_token_tool"
R0='Virtual PCD 00 00'
R1='Virtual PCD 00 01'
apdus() { grep -c ' APDU: ' "$TESTBED_PCSCD_LOG" || true; }

[ -f "$PKI/sign.crt.der" ] || { echo "no PKI in $PKI (make pki)"; exit 1; }
for k in sign auth tech; do
	openssl x509 -inform DER -in "$PKI/$k.crt.der" -pubkey -noout > "$T/$k.pub"
done
: > "$T/m0"
head -c 64 /dev/urandom > "$T/m64"
head -c 1000 /dev/urandom > "$T/m1000"

# verify_dgst ALG KEY SIG MSG
verify_dgst() { openssl dgst "-$1" -verify "$T/$2.pub" -signature "$3" "$4" > /dev/null 2>&1; }

if [ "$pass" = fast ]; then
	# -- before the PIN (the first client of the card): refused, nothing retried
	printf 'secret session key 0123456789' > "$T/plain"
	openssl pkeyutl -encrypt -pubin -inkey "$T/auth.pub" -in "$T/plain" -out "$T/enc"
	"$TOOL" "$R0" "sign:CPS_PRIV_SIG:sha256:$T/m64:$T/x" "sign:CPS_PRIV_AUT:sha256:$T/m64:$T/x" \
		"decipher:CPS_PRIV_AUT:$T/enc:$T/x" > "$T/nopin"
	check "decipher before the PIN: SECURITY_STATUS" grep -qx 'decipher CPS_PRIV_AUT: STC_ERR_SECURITY_STATUS 0' "$T/nopin"
	check "signature key before the PIN: SECURITY_STATUS" grep -qx 'sign CPS_PRIV_SIG: STC_ERR_SECURITY_STATUS 0' "$T/nopin"
	check "authentication key before the PIN: SECURITY_STATUS" grep -qx 'sign CPS_PRIV_AUT: STC_ERR_SECURITY_STATUS 0' "$T/nopin"
	check "no signature file written" test ! -e "$T/x"

	# -- signature key: PSO HASH + PSO CDS, single- and multi-part
	steps=(verify:1234)
	for h in sha1 sha256; do
		for m in m0 m64 m1000; do
			steps+=("sign:CPS_PRIV_SIG:$h:$T/$m:$T/s.$h.$m")
			steps+=("msign:CPS_PRIV_SIG:$h:$T/$m:$T/ms.$h.$m:7")
			steps+=("msign:CPS_PRIV_SIG:$h:$T/$m:$T/mb.$h.$m:100")
		done
	done
	"$TOOL" "$R0" "${steps[@]}" > "$T/sig" 2>&1
	for h in sha1 sha256; do
		for m in m0 m64 m1000; do
			check "signature key, $h, ${m#m} bytes, single part" verify_dgst $h sign "$T/s.$h.$m" "$T/$m"
			check "signature key, $h, ${m#m} bytes, multi-part (7)" verify_dgst $h sign "$T/ms.$h.$m" "$T/$m"
			check "signature key, $h, ${m#m} bytes, multi-part (100)" verify_dgst $h sign "$T/mb.$h.$m" "$T/$m"
		done
	done
	# -- signature key with a hash: bare and DigestInfo
	openssl dgst -sha256 -binary "$T/m1000" > "$T/h256"
	openssl dgst -sha1 -binary "$T/m1000" > "$T/h1"
	{ printf '\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20'; cat "$T/h256"; } > "$T/di256"
	{ printf '\x30\x21\x30\x09\x06\x05\x2b\x0e\x03\x02\x1a\x05\x00\x04\x14'; cat "$T/h1"; } > "$T/di1"
	"$TOOL" "$R0" verify:1234 "sign:CPS_PRIV_SIG:none:$T/h256:$T/n256" "sign:CPS_PRIV_SIG:none:$T/di256:$T/nd256" \
		"sign:CPS_PRIV_SIG:none:$T/h1:$T/n1" "sign:CPS_PRIV_SIG:none:$T/di1:$T/nd1" \
		"sign:CPS_PRIV_SIG:none:$T/m64:$T/bad" > "$T/hashsig"
	check "signature key, bare SHA-256 hash" verify_dgst sha256 sign "$T/n256" "$T/m1000"
	check "signature key, SHA-256 DigestInfo (stripped)" verify_dgst sha256 sign "$T/nd256" "$T/m1000"
	check "signature key, bare SHA-1 hash" verify_dgst sha1 sign "$T/n1" "$T/m1000"
	check "signature key, SHA-1 DigestInfo (stripped)" verify_dgst sha1 sign "$T/nd1" "$T/m1000"
	check "signature key, 64 bytes that are no hash: INVALID_ARGS" grep -qx 'sign CPS_PRIV_SIG: STC_ERR_INVALID_ARGS 0' "$T/hashsig"

	# -- authentication key: INTERNAL AUTHENTICATE
	head -c 103 /dev/urandom > "$T/big"
	"$TOOL" "$R0" verify:1234 "sign:CPS_PRIV_AUT:none:$T/di256:$T/a.none" \
		"sign:CPS_PRIV_AUT:sha256:$T/m1000:$T/a.256" "msign:CPS_PRIV_AUT:sha1:$T/m1000:$T/a.1:33" \
		"sign:CPS_PRIV_AUT:none:$T/big:$T/bad" "sign:Certificat de Signature CPS:none:$T/h256:$T/bad" \
		"decipher:CPS_PRIV_SIG:$T/m64:$T/bad" > "$T/auth"
	check "authentication key, RSA-PKCS on a DigestInfo (pkeyutl -verify)" \
		sh -c "openssl pkeyutl -verify -pubin -inkey '$T/auth.pub' -in '$T/di256' -sigfile '$T/a.none' > /dev/null"
	check "authentication key, SHA-256 (host hash)" verify_dgst sha256 auth "$T/a.256" "$T/m1000"
	check "authentication key, SHA-1 multi-part" verify_dgst sha1 auth "$T/a.1" "$T/m1000"
	check "authentication key, 103 bytes > 40%: INVALID_ARGS" grep -qx 'sign CPS_PRIV_AUT: STC_ERR_INVALID_ARGS 0' "$T/auth"
	check "a certificate is no key: INVALID_ARGS" grep -qx 'sign Certificat de Signature CPS: STC_ERR_INVALID_ARGS 0' "$T/auth"
	check "the signature key cannot decipher: NOT_SUPPORTED" grep -qx 'decipher CPS_PRIV_SIG: STC_ERR_NOT_SUPPORTED 0' "$T/auth"

	# -- decipher and random
	"$TOOL" "$R0" verify:1234 "decipher:CPS_PRIV_AUT:$T/enc:$T/dec" \
		random:32 random:32 random:5 > "$T/dec.out"
	check "decipher of openssl pkeyutl -encrypt output" cmp -s "$T/dec" "$T/plain"
	check "random: 32 bytes twice, different" test "$(grep -c '^random: STC_OK [0-9a-f]\{64\}$' "$T/dec.out")" = 2 -a \
		"$(grep '^random: STC_OK [0-9a-f]\{64\}$' "$T/dec.out" | sort -u | wc -l)" = 2
	check "random: 5 bytes" grep -q '^random: STC_OK [0-9a-f]\{10\}$' "$T/dec.out"

	# -- contactless: the technical key, no PIN
	"$TOOL" "$R1" "sign:CPS_PRIV_TECH_AUT:sha256:$T/m1000:$T/t.256" "sign:CPS_PRIV_TECH_AUT:none:$T/di1:$T/t.none" > "$T/cl"
	check "contactless technical key, SHA-256, no PIN" verify_dgst sha256 tech "$T/t.256" "$T/m1000"
	check "contactless technical key, RSA-PKCS on a DigestInfo" \
		sh -c "openssl pkeyutl -verify -pubin -inkey '$T/tech.pub' -in '$T/di1' -sigfile '$T/t.none' > /dev/null"

	# -- APDUs per operation (the listing and VERIFY subtracted)
	count() {
		local a b c
		a=$(apdus); "$TOOL" "$R0" objects verify:1234 > /dev/null; b=$(apdus)
		"$TOOL" "$R0" objects verify:1234 "$@" > /dev/null; c=$(apdus)
		echo $(((c - b) - (b - a)))
	}
	n_hash=$(count "sign:CPS_PRIV_SIG:sha256:$T/m1000:$T/x")
	n_bare=$(count "sign:CPS_PRIV_SIG:none:$T/h256:$T/x")
	n_ia=$(count "sign:CPS_PRIV_AUT:sha256:$T/m1000:$T/x")
	n_dec=$(count "decipher:CPS_PRIV_AUT:$T/enc:$T/x")
	echo "  APDUs: PSO HASH signature $n_hash, bare-hash PSO CDS $n_bare, INTERNAL AUTHENTICATE $n_ia, decipher $n_dec"
	check "APDUs: SELECT, MSE HT, PSO HASH, MSE DST, PSO CDS, GET RESPONSE = 6" test "$n_hash" = 6
	check "APDUs: SELECT, MSE DST, PSO CDS, GET RESPONSE = 4" test "$n_bare" = 4
	check "APDUs: SELECT, MSE AT, INTERNAL AUTHENTICATE, GET RESPONSE = 4" test "$n_ia" = 4
	check "APDUs: SELECT, MSE CT, PSO DECIPHER x2 (chained), GET RESPONSE = 5" test "$n_dec" = 5
else
	# -- two processes signing at once: each group contiguous in the card's trace
	start=$(wc -l < "$trace")
	"$TOOL" "$R0" verify:1234 > /dev/null
	for p in 1 2; do
		"$TOOL" "$R0" verify:1234 "sign:CPS_PRIV_SIG:sha256:$T/m1000:$T/c$p.1" \
			"sign:CPS_PRIV_SIG:sha1:$T/m64:$T/c$p.2" "sign:CPS_PRIV_SIG:sha256:$T/m0:$T/c$p.3" > "$T/conc$p" &
		eval "pid$p=$!"
	done
	wait "$pid1"; r1=$?
	wait "$pid2"; r2=$?
	check "two processes at once: both exit 0" test "$r1$r2" = 00
	ok=0
	for p in 1 2; do
		verify_dgst sha256 sign "$T/c$p.1" "$T/m1000" && verify_dgst sha1 sign "$T/c$p.2" "$T/m64" &&
			verify_dgst sha256 sign "$T/c$p.3" "$T/m0" && ok=$((ok + 1))
	done
	check "two processes at once: all six signatures verify" test $ok = 2
	tail -n +$((start + 1)) "$trace" > "$T/trace.conc"
	check "two processes at once: every MSE HT .. PSO CDS group is contiguous" /usr/bin/python3 - "$T/trace.conc" <<'PYEOF'
import re, sys
cmds = [l.split("C> ", 1)[1].split() for l in open(sys.argv[1]) if "C> " in l]
groups = 0
for i, c in enumerate(cmds):
    if c[:4] == ["00", "22", "41", "AA"]:
        want = [["00", "2A", "90", "A0"], ["00", "22", "41", "B6"], ["00", "2A", "9E", "9A"],
                ["00", "C0", "00", "00"]]
        got = [x[:4] for x in cmds[i + 1:i + 5]]
        assert got == want, (i, got)
        assert cmds[i - 1][:5] == ["00", "A4", "04", "0C", "0D"], (i, cmds[i - 1])
        groups += 1
assert groups == 6, groups
PYEOF

	# -- the card pulled in the middle of PSO CDS (~250 ms of RSA)
	start=$(wc -l < "$trace")
	"$TOOL" "$R0" verify:1234 "sign:CPS_PRIV_SIG:sha256:$T/m1000:$T/pulled" > "$T/pull" 2>&1 &
	pid=$!
	seen=0
	for _ in $(seq 1000); do
		if tail -n +$((start + 1)) "$trace" | grep -q 'C> 00 2A 9E 9A'; then seen=1; break; fi
		sleep 0.005
	done
	tb_card remove 0 > /dev/null
	wait $pid
	check "pulled: the PSO CDS was under way" test $seen = 1
	check "pulled mid-signature: the signature fails" grep -q '^sign CPS_PRIV_SIG: STC_ERR_' "$T/pull"
	check "pulled mid-signature: STC_ERR_CARD_REMOVED" \
		grep -qx 'sign CPS_PRIV_SIG: STC_ERR_CARD_REMOVED 0' "$T/pull"
	check "pulled: no signature written" test ! -e "$T/pulled"
	check "pulled: the trace shows the card pulled" sh -c "tail -n +$((start + 1)) '$trace' | grep -q 'card pulled, no answer'"
	tb_card insert 0 > /dev/null
	sleep 0.5
	"$TOOL" "$R0" verify:1234 "sign:CPS_PRIV_SIG:sha256:$T/m1000:$T/again" > "$T/again.out" 2>&1
	check "after reinsertion a signature works" verify_dgst sha256 sign "$T/again" "$T/m1000" ||
		cat "$T/again.out"
fi

tb_summary
