#!/bin/sh
# fuzz_ccid.sh - runs the CCID reply-parser fuzz target (tests/fuzz/fuzz_ccid.c)
# through run-fuzz.sh, for FUZZ_SECONDS (make check) or longer (make fuzz).
FUZZ_TARGETS=ccid exec "${SHELL:-/bin/sh}" "${top_srcdir:-.}/tests/fuzz/run-fuzz.sh"
