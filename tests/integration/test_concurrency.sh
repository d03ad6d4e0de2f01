#!/bin/bash
# The Check suite check_concurrency (threads sharing a card or token, resets by
# another connection) against the private PC/SC test bed with a CPS3 in reader 0.
here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$here/../..}"
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: the test bed needs root for its private namespaces"
	exit 77
fi
exec "$here/testbed" --cards "cps-doctor none" "$top_builddir/tests/integration/check_concurrency"
