#!/bin/sh
# run-fuzz.sh - run each libFuzzer target over a copy of its seed corpus for a
# bounded time. `make check` runs it briefly; `make fuzz FUZZ_SECONDS=600` runs longer.
#
# Environment (set by the Makefile): CLANG (empty = no libFuzzer: skip),
# top_srcdir, top_builddir; optional FUZZ_SECONDS (per target, default 10),
# FUZZ_TARGETS (default "tlv atr cardapdu vitale pkcs15"), FUZZ_CORPUS_DIR (keep the grown
# corpora there instead of in a temporary directory), FUZZ_PROFILE_DIR and
# FUZZ_PKI_DIR (card profiles and their keys for fuzz_cardapdu; default
# top_srcdir/firmware/profiles and top_builddir/pki).
# The seed corpus is copied first: libFuzzer adds files to its corpus directory and
# the source tree may be read-only (make distcheck).
set -u

if [ -z "${CLANG:-}" ]; then
	echo "run-fuzz.sh: SKIP: configure found no clang supporting -fsanitize=fuzzer," \
	     "so the fuzz targets are not built"
	exit 77
fi

srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
seconds=${FUZZ_SECONDS:-10}
FUZZ_PROFILE_DIR=${FUZZ_PROFILE_DIR:-$srcdir/firmware/profiles}
FUZZ_PKI_DIR=${FUZZ_PKI_DIR:-$builddir/pki}
export FUZZ_PROFILE_DIR FUZZ_PKI_DIR
tmp=$(mktemp -d "${TMPDIR:-/tmp}/santecard-fuzz.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

status=0
for t in ${FUZZ_TARGETS:-tlv atr cardapdu vitale pkcs15}; do
	bin=$builddir/tests/fuzz/fuzz_$t
	seeds=$srcdir/tests/fuzz/corpus/$t
	corpus=${FUZZ_CORPUS_DIR:-$tmp}/$t
	if [ ! -x "$bin" ]; then
		echo "run-fuzz.sh: ERROR: $bin is not built (make check builds it)"
		exit 99
	fi
	mkdir -p "$corpus" || exit 99
	cp "$seeds"/* "$corpus"/ && chmod u+w "$corpus"/* || exit 99
	echo "fuzz_$t: ${seconds}s from $(ls "$seeds" | wc -l) seeds"
	if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$builddir/tests/fuzz/fuzz_$t-" \
		"$corpus" >"$tmp/$t.log" 2>&1; then
		# a target may skip part of its work (fuzz_cardapdu without the PKI)
		grep "^fuzz_$t: SKIP" "$tmp/$t.log" | sort -u
		grep -E '^stat::(number_of_executed_units|new_units_added)' "$tmp/$t.log"
	else
		tail -n 40 "$tmp/$t.log"
		echo "run-fuzz.sh: FAIL: fuzz_$t crashed; the input is in $builddir/tests/fuzz/fuzz_$t-*"
		status=1
	fi
done
exit $status
