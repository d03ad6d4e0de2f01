#!/bin/sh
# run-fuzz-pn532.sh - the PN532 model's libFuzzer target (tests/fuzz/fuzz_pn532.c)
# through run-fuzz.sh, for FUZZ_SECONDS (make check: briefly).
FUZZ_TARGETS=pn532 exec "$(dirname "$0")/run-fuzz.sh"
