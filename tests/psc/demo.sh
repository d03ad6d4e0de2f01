#!/bin/bash
# demo.sh - ./quickstart demo's e-CPS login: santecard-psc against the Pro Santé
# Connect stand-in (tests/standins/psc) in a private test bed, the simulated
# phone approving; shows the binding message and the userinfo's SubjectNameID.
#   top_builddir=BUILD tests/psc/demo.sh
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${TESTBED_DIR:-}" ]; then
	if ! "$here/../standins/psc/start" --install; then
		echo "(santecard-psc demo skipped: the PSC stand-in needs Node.js and its npm packages)"
		exit 0
	fi
	exec "$here/../integration/testbed" --cards "none none" "$here/$(basename "$0")"
fi
. "$here/psc_lib.sh"
printf '\n==> santecard-psc login --ecps: e-CPS login (CIBA) at the Pro Santé Connect stand-in; the phone approves\n'
psc_start demo > /dev/null
psc_phone "$PSC_DIR" approve
santecard-psc login --ecps --id 899700056789 "${MTLS[@]}" || exit 1
grep '"phone-decision"' "$PSC_EVENTS" | tail -1 |
	/usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); print("(the phone showed 3 codes and picked %s)" % j["code"])'
printf '\n==> santecard-psc userinfo\n'
santecard-psc userinfo "${MTLS[@]}" | grep -E '^(SubjectNameID|Name|SubjectRole|Exercice)'
printf '\n==> santecard-psc status\n'
santecard-psc status "${MTLS[@]}"
psc_stop_all
