#!/bin/sh
# test_qemu_ccid.sh - `make check`'s share of the QEMU CCID tests: one boot of
# run-qemu-ccid in quick mode (`make check-qemu` runs the full one).
# SANTECARD_TESTS=quick (./quickstart's sanitizer and distcheck passes) skips it:
# the main `make check` boots the guest. A driver built with the sanitizers
# cannot be loaded by the guest's pcscd, so that build skips it too.
if [ "${SANTECARD_TESTS:-}" = quick ]; then
	echo "SKIP: SANTECARD_TESTS=quick: the QEMU boot runs in the main make check"
	exit 77
fi
so="${top_builddir:-.}/drivers/ccid/santecard_ccid.bundle/Contents/Linux/libsantecard_ccid.so"
if [ -f "$so" ] && ldd "$so" 2>/dev/null | grep -q libasan; then
	echo "SKIP: the CCID driver is built with the sanitizers: the guest's pcscd cannot load it"
	exit 77
fi
exec "$(dirname "$0")/run-qemu-ccid" quick
