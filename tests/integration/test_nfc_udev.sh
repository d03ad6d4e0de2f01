#!/bin/bash
# The NFC udev rules and modprobe blacklist, checked without udev: this
# machine has no udev daemon, no USB bus and no kernel NFC stack, so
# `udevadm test` cannot run. A small parser checks the rules' syntax (keys,
# operators, quoting, GOTO/LABEL pairs) and the expected lines; `udevadm
# verify` is used too where it exists (systemd >= 253).
src=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
rules=$src/udev/92-santecard-nfc.rules
conf=$src/udev/blacklist-santecard-nfc.conf
. "$src/tests/integration/lib.sh"

# syntax FILE: every rule line is KEY OP "VALUE" pairs separated by commas
syntax() {
	awk '
	/^[ \t]*(#|$)/ { next }
	{
		line = $0
		while (length(line) > 0) {
			if (!match(line, /^[ \t]*(ACTION|SUBSYSTEM|GOTO|LABEL|GROUP|MODE|ENV\{[A-Za-z_]+\}|ATTRS?\{[A-Za-z_\/]+\})(==|!=|=|\+=)"[^"]*"[ \t]*/)) {
				printf "%s:%d: cannot parse: %s\n", FILENAME, NR, line; bad = 1; break
			}
			pair = substr(line, RSTART, RLENGTH); line = substr(line, RSTART + RLENGTH)
			if (pair ~ /^[ \t]*(ACTION|SUBSYSTEM|ENV|ATTR)/ && pair !~ /(==|!=)/) {
				printf "%s:%d: a match key needs == or !=: %s\n", FILENAME, NR, pair; bad = 1
			}
			if (pair ~ /^[ \t]*(GROUP|MODE|GOTO|LABEL)/ && pair !~ /[^=!]="/) {
				printf "%s:%d: an assignment needs =: %s\n", FILENAME, NR, pair; bad = 1
			}
			if (pair ~ /^[ \t]*GOTO/) { g = pair; sub(/^[^"]*"/, "", g); sub(/".*/, "", g); gotos[g] = NR }
			if (pair ~ /^[ \t]*LABEL/) { l = pair; sub(/^[^"]*"/, "", l); sub(/".*/, "", l); labels[l] = NR }
			if (length(line) > 0) {
				if (line !~ /^,/) { printf "%s:%d: expected a comma: %s\n", FILENAME, NR, line; bad = 1; break }
				line = substr(line, 2)
			}
		}
	}
	END {
		for (g in gotos) if (!(g in labels) || labels[g] < gotos[g]) { printf "GOTO %s without a later LABEL\n", g; bad = 1 }
		exit bad
	}' "$1"
}

# reader VID PID: one rule gives that USB device to the pcscd group
reader() {
	grep -Eq "^ATTR\\{idVendor\\}==\"$1\", ATTR\\{idProduct\\}==\"$2\", GROUP=\"pcscd\", MODE=\"0660\"$" "$rules"
}

check "rules: syntax" syntax "$rules"
bad=$(mktemp) || exit 99
printf 'ATTR{idVendor}=="04cc" GROUP="pcscd"\nSUBSYSTEM="usb", GOTO="nowhere"\n' > "$bad"
check "rules: the parser catches a missing comma, = for ==, a GOTO without LABEL" \
	test "$(syntax "$bad" 2>&1 | wc -l)" = 3
rm -f "$bad"
check "rules: only usb_device add/change events" grep -q '^ENV{DEVTYPE}!="usb_device", GOTO="santecard_nfc_end"$' "$rules"
check "rules: removals skipped" grep -q '^ACTION=="remove", GOTO="santecard_nfc_end"$' "$rules"
for id in 04cc:0531 054c:0193 04cc:2533 04e6:5591 1fd3:0608 054c:02e1 072f:2200 072f:90cc; do
	check "rules: reader $id for pcscd" reader "${id%:*}" "${id#*:}"
done
check "rules: every GROUP is pcscd" test "$(grep -c 'GROUP=' "$rules")" = "$(grep -c 'GROUP="pcscd"' "$rules")"
check "blacklist: pn533 and pn533_usb" test "$(grep -Ev '^(#|$)' "$conf" | sort | tr '\n' ' ')" = "blacklist pn533 blacklist pn533_usb "
if udevadm verify --help > /dev/null 2>&1; then
	check "udevadm verify" udevadm verify "$rules"
else
	echo "  (udevadm verify not available here: systemd < 253)"
fi
tb_summary
