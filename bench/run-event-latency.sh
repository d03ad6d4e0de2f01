#!/bin/bash
# bench/run-event-latency.sh [COUNT]: how fast stc_wait_event reports card
# removals and insertions, in the private test bed (pcscd with its debug log,
# which bench/event_latency reads for pcscd's own time of the change).
here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$here/..}"
export top_builddir
exec "$here/../tests/integration/testbed" "$top_builddir/bench/event_latency" --count "${1:-20}"
