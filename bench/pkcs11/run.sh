#!/bin/bash
# bench/pkcs11/run.sh [TIMING...]: the PKCS#11 module on the simulated CPS3
# (cps-doctor) in the private test bed, with the simulator's timing "none" and
# "realistic" (default: both), pcscd without its debug log. Prints Markdown tables
# (docs/PERFORMANCE.md):
#  1. C_Sign per second (CKM_RSA_PKCS, authentication key; bench/pkcs11/p11bench)
#     against the same APDUs sent with SCardTransmit alone (bench/pkcs11/rawbench),
#     without and with a PC/SC transaction per signature;
#  2. APDUs and time from C_Initialize to the first signature, public-data cache
#     cold (empty) and warm (filled by an earlier process), each process started
#     0.5 s after the card is re-inserted;
#  3. side by side with Debian's OpenSC module, pkcs11-tool's flows that OpenSC can
#     do on a CPx: load (-L), list objects (-O), log in (--login -O), RSA-PKCS
#     signature with the authentication key.
# The module is P11_MODULE (tests/pkcs11/p11env.sh; default santecard's), compared
# with OpenSC's. BENCH_COUNT (signatures in the loop; default 200 with timing none,
# 10 realistic), BENCH_SIGN_RUNS (loops, best of; default 5) and BENCH_RUNS
# (processes per flow, median; default 3).
here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$(cd "$here/../.." && pwd)}"
export top_builddir
if [ -z "${TESTBED_DIR:-}" ]; then
	[ $# -gt 0 ] || set -- none realistic
	for t in "$@"; do
		trace=/tmp/santecard-bench-p11.$$.$t
		rm -f "$trace"
		TESTBED_PCSCD_FLAGS=" " TESTBED_SIM_ARGS="--timing $t --trace $trace" BENCH_TIMING=$t \
			BENCH_TRACE=$trace "$here/../../tests/integration/testbed" --cards "cps-doctor none" \
			"$here/$(basename "$0")"
		rc=$?
		rm -f "$trace"
		[ $rc = 0 ] || exit $rc
	done
	exit 0
fi
. "$here/../../tests/integration/lib.sh"
. "$here/../../tests/pkcs11/p11env.sh"
T=$TESTBED_DIR
TR=$BENCH_TRACE
RUNS=${BENCH_RUNS:-3}
SIGN_RUNS=${BENCH_SIGN_RUNS:-5}
if [ "$BENCH_TIMING" = none ]; then COUNT=${BENCH_COUNT:-200}; else COUNT=${BENCH_COUNT:-10}; fi
P11BENCH=$top_builddir/bench/pkcs11/p11bench
RAWBENCH=$top_builddir/bench/pkcs11/rawbench
AUTH_PUB=$T/auth.pub
openssl x509 -inform DER -in "$SANTECARD_PKI_DIR/cps-doctor/auth.crt.der" -pubkey -noout > "$AUTH_PUB"
# libsantecard's public-data cache: on, in a directory of its own (it creates
# $XDG_CACHE_HOME/santecard, not $XDG_CACHE_HOME itself)
export XDG_CACHE_HOME=$T/xdg STC_NO_CACHE=0
mkdir -p "$XDG_CACHE_HOME"
cold_cache() { rm -rf "$XDG_CACHE_HOME/santecard"; }
die() { echo "bench: $*" >&2; exit 1; }
name() { case "$1" in "$OPENSC_MODULE") echo OpenSC ;; "$SANTECARD_MODULE") echo santecard ;; *) basename "$1" ;; esac; }
# commands the card received since byte offset $1 of the trace (up to $2)
apdus_between() { tail -c +$(($1 + 1)) "$TR" | head -c $(($2 - $1)) | grep -c ' C> '; }
trace_size() { stat -c %s "$TR"; }
fresh_card() { tb_card remove 0 > /dev/null; sleep 0.2; tb_card insert 0 > /dev/null; sleep 0.5; }
median() { sort -g | sed -n "$(( (RUNS + 1) / 2 ))p"; }
val() { sed -n "s/^$1=//p" "$T/out"; }

modules=("$P11_MODULE")
[ "$P11_MODULE" = "$OPENSC_MODULE" ] || modules+=("$OPENSC_MODULE")
for m in "${modules[@]}"; do [ -f "$m" ] || die "no module $m"; done
cd "$T" || exit 1

# ---------------------------------------------------------------- 1. C_Sign/s
echo
echo "C_Sign/s, timing $BENCH_TIMING, $COUNT signatures a run, best of $SIGN_RUNS runs (CKM_RSA_PKCS, 51-byte DigestInfo, CPS_PRIV_AUT):"
echo
echo "| module | APDUs per C_Sign | module C_Sign/s | raw SCardTransmit/s | ratio | raw + transaction/s | ratio |"
echo "|---|---|---|---|---|---|---|"
for m in "${modules[@]}"; do
	r_mod=() r_raw=() r_txn=()
	# RUNS rounds of module, raw, raw + transaction, interleaved so that a busy
	# machine weighs on all three alike; the best of each (the least disturbed run:
	# other processes only ever slow a run down)
	for _ in $(seq "$SIGN_RUNS"); do
		fresh_card
		echo "$P11_PIN" | "$P11BENCH" "$m" "$P11_AUTH_KEY_LABEL" "$COUNT" "$TR" > out 2>&1 ||
			{ cat out; die "p11bench $(name "$m") failed"; }
		# (no digest option: openssl compares the recovered DigestInfo with the one signed)
		openssl pkeyutl -verify -pubin -inkey "$AUTH_PUB" -sigfile p11bench.sig -in p11bench.tbs \
			> /dev/null 2>&1 || die "$(name "$m"): the signature does not verify"
		r_mod+=("$(val sign_per_s)")
		first=$(val trace_first) loop=$(val trace_loop)
		n=$(apdus_between "$first" "$loop")
		[ $((n % COUNT)) = 0 ] || die "$(name "$m"): $n APDUs for $COUNT signatures"
		per=$((n / COUNT))
		# one signature's commands and the status words the card answered, as sent
		tail -c +$((first + 1)) "$TR" | head -c $((loop - first)) |
			awk -v per="$per" '/ C> / { sub(/^[^>]*> /, ""); cmd = $0 }
				/ R< / && cmd != "" { n = split($0, w, " "); print cmd " : " w[n-1] " " w[n]
					cmd = ""; if (++k == per) exit }' > apdus.txt
		echo "$P11_PIN" | "$RAWBENCH" apdus.txt "$COUNT" > out 2>&1 || { cat out; die "rawbench failed"; }
		r_raw+=("$(val sign_per_s)")
		echo "$P11_PIN" | RAW_TRANSACTION=1 "$RAWBENCH" apdus.txt "$COUNT" > out 2>&1 ||
			{ cat out; die "rawbench (transaction) failed"; }
		r_txn+=("$(val sign_per_s)")
	done
	p11rate=$(printf '%s\n' "${r_mod[@]}" | sort -g | tail -1)
	raw=$(printf '%s\n' "${r_raw[@]}" | sort -g | tail -1)
	rawt=$(printf '%s\n' "${r_txn[@]}" | sort -g | tail -1)
	printf '| %s | %d | %s | %s | %.2fx | %s | %.2fx |\n' "$(name "$m")" "$per" "$p11rate" "$raw" \
		"$(echo "$p11rate / $raw" | bc -l)" "$rawt" "$(echo "$p11rate / $rawt" | bc -l)"
done

# ---------------------------------------------------- 2. C_Initialize -> first signature
echo
echo "C_Initialize -> first signature (C_GetSlotList, C_OpenSession, C_Login, C_FindObjects, C_Sign), timing $BENCH_TIMING, median of $RUNS processes:"
echo
echo "| module | public-data cache | APDUs | time |"
echo "|---|---|---|---|"
for m in "${modules[@]}"; do
	for cache in cold warm; do
		ms=() na=
		for _ in $(seq "$RUNS"); do
			[ $cache = cold ] && cold_cache
			fresh_card
			echo "$P11_PIN" | "$P11BENCH" "$m" "$P11_AUTH_KEY_LABEL" 0 "$TR" > out 2>&1 ||
				{ cat out; die "p11bench $(name "$m") failed"; }
			ms+=("$(val first_ms)")
			n=$(apdus_between "$(val trace_start)" "$(val trace_first)")
			case "/$na/" in */"$n"/*) ;; *) na=${na:+$na/}$n ;; esac
		done
		printf '| %s | %s | %s | %s ms |\n' "$(name "$m")" "$cache" "$na" \
			"$(printf '%s\n' "${ms[@]}" | median)"
	done
done

# ---------------------------------------------------- 3. pkcs11-tool flows, side by side
printf 'santecard bench' | openssl dgst -sha256 -binary > hash
{ printf '\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20'; cat hash; } > di
flow() {
	case "$1" in
	load) pkcs11-tool --module "$2" -L ;;
	list) pkcs11-tool --module "$2" -O ;;
	login) pkcs11-tool --module "$2" --login --pin "$P11_PIN" -O ;;
	sign) pkcs11-tool --module "$2" --login --pin "$P11_PIN" --sign -m RSA-PKCS \
		--id "$(cat "auth.id.$(name "$2")")" -i di -o sig ;;
	esac
}
# variants: MODULE:CACHE; the public-data cache matters to santecard's module only
variants=()
for m in "${modules[@]}"; do
	p11_auth_id "$m" > "auth.id.$(name "$m")"
	[ -s "auth.id.$(name "$m")" ] || die "$(name "$m"): no authentication certificate"
	if [ "$m" = "$OPENSC_MODULE" ]; then variants+=("$m:-"); else variants+=("$m:cold" "$m:warm"); fi
done
vname() { if [ "${1##*:}" = - ]; then name "${1%:*}"; else echo "$(name "${1%:*}") (${1##*:})"; fi; }
echo
echo "pkcs11-tool flows, timing $BENCH_TIMING, card re-inserted before each process, median of $RUNS:"
echo
printf '| flow |'; for v in "${variants[@]}"; do printf ' %s APDUs | time |' "$(vname "$v")"; done; echo
printf '|---|'; for _ in "${variants[@]}"; do printf -- '---|---|'; done; echo
for f in load list login sign; do
	printf '| %s |' "$f"
	for v in "${variants[@]}"; do
		m=${v%:*} ms=() na=
		for _ in $(seq "$RUNS"); do
			case "$v" in
			*:cold) cold_cache ;;
			# filled by an earlier process
			*:warm) [ -d "$XDG_CACHE_HOME/santecard" ] || flow list "$m" > /dev/null 2>&1 ;;
			esac
			fresh_card
			s0=$(trace_size) t0=$(date +%s%N)
			flow $f "$m" > out 2>&1 || { cat out; die "$f with $(name "$m") failed"; }
			t1=$(date +%s%N) s1=$(trace_size)
			ms+=($(( (t1 - t0) / 1000000 )))
			n=$(apdus_between "$s0" "$s1")
			case "/$na/" in */"$n"/*) ;; *) na=${na:+$na/}$n ;; esac
		done
		if [ $f = sign ]; then
			openssl pkeyutl -verify -pubin -inkey "$AUTH_PUB" -in hash -sigfile sig \
				-pkeyopt digest:sha256 > /dev/null 2>&1 || die "$(name "$m"): bad signature"
		fi
		printf ' %s | %s ms |' "$na" "$(printf '%s\n' "${ms[@]}" | median)"
	done
	echo
done
