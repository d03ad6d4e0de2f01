#!/bin/bash
# The Check suite check_pcsc, run against the private PC/SC test bed.
here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$here/../..}"
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: the test bed needs root for its private namespaces"
	exit 77
fi
exec "$here/testbed" "$top_builddir/tests/integration/check_pcsc"
