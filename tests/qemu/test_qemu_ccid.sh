#!/bin/sh
# test_qemu_ccid.sh - `make check`'s share of the QEMU CCID tests: one boot of
# run-qemu-ccid in quick mode (`make check-qemu` runs the full one).
exec "$(dirname "$0")/run-qemu-ccid" quick
