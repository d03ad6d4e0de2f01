#!/bin/bash
# bench/run-apdu-rtt.sh [COUNT]: APDU round trips through the real pcscd + vpcd +
# santecard-sim in the private test bed, pcscd without debug logging.
here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$here/..}"
export top_builddir TESTBED_PCSCD_FLAGS=" "
exec "$here/../tests/integration/testbed" "$top_builddir/bench/apdu_rtt" --count "${1:-1000}"
