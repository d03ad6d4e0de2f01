#!/bin/sh
# test_fuzz_vscard.sh - run the VSCard/T=1 fuzz target (tests/fuzz/fuzz_vscard.c)
# like the other targets: tests/fuzz/run-fuzz.sh, FUZZ_SECONDS each.
FUZZ_TARGETS=vscard
export FUZZ_TARGETS
exec "${top_srcdir:-.}/tests/fuzz/run-fuzz.sh"
