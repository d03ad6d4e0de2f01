#!/bin/sh
# run-fuzz-vitale.sh - santecard-vitale's fuzz targets (the Vitale parsing and
# rendering path, the HTTP request parser) through run-fuzz.sh, as `make check`
# runs the others.
FUZZ_TARGETS="vitale_render vitale_http"
export FUZZ_TARGETS
exec "${top_srcdir:-.}/tests/fuzz/run-fuzz.sh"
