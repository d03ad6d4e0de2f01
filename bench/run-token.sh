#!/bin/bash
# bench/run-token.sh [RUNS]: what a user waits for, through the real pcscd +
# vpcd + santecard-sim in the private test bed, with the simulator's timing
# "none" then "realistic" (TESTBED_SIM_ARGS --timing): APDU count and wall time
# (median of RUNS, default 5) of
#   (a) a CPS just inserted to its first signature (VERIFY + CPS_PRIV_SIG,
#       SHA-256), public-data cache cold (emptied before each run);
#   (b) the same on a warm cache;
#   (c) the same with STC_NO_CACHE=1 (the library before the cache);
#   (d) a carte Vitale just inserted to its identity read (santecard status);
#   (e) (b) with the authentication key (RSA-PKCS of 35 bytes: INTERNAL
#       AUTHENTICATE), the flow bench/run-opensc-cps3.sh measures for OpenSC;
#   (f) (b) with the SHA-256 hash computed by the caller (its DigestInfo:
#       PKCS#11 CKM_RSA_PKCS, what OpenSSL and NSS send): MSE SET DST + PSO CDS.
# Each run is one process (tests/integration/cps_token_tool, santecard),
# started 0.5 s after the card is re-inserted (a fresh card session); APDUs are
# counted in pcscd's debug log. Not part of make check: `make bench-token`.
here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$here/..}"
export top_builddir
if [ -z "${TESTBED_DIR:-}" ]; then
	for t in none realistic; do
		TESTBED_SIM_ARGS="--timing $t" BENCH_TIMING=$t \
			"$here/../tests/integration/testbed" --cards "cps-doctor vitale-single" \
			"$here/$(basename "$0")" "${1:-5}" || exit 1
	done
	exit 0
fi
. "$here/../tests/integration/lib.sh"
RUNS=${1:-5}
T=$TESTBED_DIR
TOOL="$top_builddir/tests/integration/cps_token_tool"
R0='Virtual PCD 00 00'
R1='Virtual PCD 00 01'
export XDG_CACHE_HOME="$T/xdg"
mkdir -p "$XDG_CACHE_HOME"
unset STC_NO_CACHE
head -c 1000 /dev/zero > "$T/msg"
head -c 35 /dev/zero > "$T/digestinfo"
apdus() { grep -c ' APDU: ' "$TESTBED_PCSCD_LOG" || true; }
now() { date +%s%N; }

# run SLOT LABEL PREP COMMAND...: RUNS times (re-insert, PREP, time COMMAND)
run() {
	local slot=$1 label=$2 prep=$3 i n0 n1 t0 t1 ms=() na=
	shift 3
	for i in $(seq "$RUNS"); do
		tb_card remove "$slot" > /dev/null
		sleep 0.2
		tb_card insert "$slot" > /dev/null
		sleep 0.5
		eval "$prep"
		n0=$(apdus)
		t0=$(now)
		"$@" > "$T/out" 2>&1 || { echo "$label: failed"; cat "$T/out"; return 1; }
		t1=$(now)
		n1=$(apdus)
		ms+=($(( (t1 - t0) / 1000000 )))
		if [ -n "$na" ] && [ "$na" != $((n1 - n0)) ]; then
			na="$na/$((n1 - n0))"
		else
			na=$((n1 - n0))
		fi
	done
	med=$(printf '%s\n' "${ms[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
	printf '%-10s %-44s %6s APDUs %7s ms (median of %d; min %s, max %s)\n' "$BENCH_TIMING" \
		"$label" "$na" "$med" "$RUNS" "$(printf '%s\n' "${ms[@]}" | sort -n | head -1)" \
		"$(printf '%s\n' "${ms[@]}" | sort -n | tail -1)"
}

SIGN=(verify:1234 "sign:CPS_PRIV_SIG:sha256:$T/msg:$T/sig")
run 0 "(a) CPS inserted -> first signature, cold" 'rm -rf "$XDG_CACHE_HOME/santecard"' \
	"$TOOL" "$R0" "${SIGN[@]}"
"$TOOL" "$R0" objects > /dev/null   # fill the cache
run 0 "(b) CPS inserted -> first signature, warm" ':' "$TOOL" "$R0" "${SIGN[@]}"
run 0 "(c) CPS inserted -> first signature, no cache" ':' \
	env STC_NO_CACHE=1 "$TOOL" "$R0" "${SIGN[@]}"
run 0 "(e) CPS inserted -> auth signature, warm" ':' \
	"$TOOL" "$R0" verify:1234 "sign:CPS_PRIV_AUT:none:$T/digestinfo:$T/sig"
printf '\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20' > "$T/di256"
openssl dgst -sha256 -binary "$T/msg" >> "$T/di256"
run 0 "(f) CPS inserted -> signature of a hash, warm" ':' \
	"$TOOL" "$R0" verify:1234 "sign:CPS_PRIV_SIG:none:$T/di256:$T/sig"
openssl dgst -sha256 -verify <(openssl x509 -inform DER -in "$SANTECARD_PKI_DIR/cps-doctor/sign.crt.der" -pubkey -noout) \
	-signature "$T/sig" "$T/msg" > /dev/null || echo "(f): the signature does not verify"
run 1 "(d) Vitale inserted -> identity read" ':' santecard status --reader "$R1"
grep -q 'Vitale\|beneficiar\|NIR' "$T/out" || { echo "(d): no identity in"; cat "$T/out"; }
