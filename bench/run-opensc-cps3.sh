#!/bin/bash
# bench/run-opensc-cps3.sh [none|realistic]: what Debian's OpenSC 0.23 costs on the
# simulated CPS3 (cps-doctor), in APDUs and seconds, for three everyday flows.
# The baseline santecard's own token layer is measured against (docs/PERFORMANCE.md).
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${TESTBED_DIR:-}" ]; then
	: "${top_builddir:=$here/..}"
	export top_builddir TESTBED_PCSCD_FLAGS=" "
	export TESTBED_SIM_ARGS="--timing ${1:-realistic} --trace /tmp/santecard-bench-trace.$$"
	rm -f "/tmp/santecard-bench-trace.$$"
	"$here/../tests/integration/testbed" --cards "cps-doctor none" "$here/$(basename "$0")" \
		"/tmp/santecard-bench-trace.$$" "${1:-realistic}"
	rc=$?
	rm -f "/tmp/santecard-bench-trace.$$"
	exit $rc
fi
trace=$1
module=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
apdus() { grep -c ' C> ' "$trace"; }
now() { date +%s.%N; }
run() {
	local what=$1 n0 t0 t1
	shift
	n0=$(apdus); t0=$(now)
	"$@" > /dev/null 2>&1 || { echo "bench: '$what' failed" >&2; exit 1; }
	t1=$(now)
	printf '| %s | %s | %d | %.2f s |\n' "$what" "$1" "$(( $(apdus) - n0 ))" "$(echo "$t1 - $t0" | bc)"
}
printf 'santecard bench' > "$TESTBED_DIR/msg"
echo "| flow (timing $2) | tool | APDUs | time |"
echo "|---|---|---|---|"
run "identify the card" opensc-tool -n
run "list the PKCS#15 objects" pkcs15-tool --dump
run "log in and sign with the auth key (RSA-PKCS)" pkcs11-tool --module "$module" --login \
	--pin 1234 --sign -m RSA-PKCS --id e828bd080f8025000001ff001002 \
	-i "$TESTBED_DIR/msg" -o "$TESTBED_DIR/sig"
