#!/bin/bash
# santecard-vitale watch (kiosk mode) through the real PC/SC stack: one JSON line
# per card present at start or inserted ("card" for the carte Vitale, "error" for
# the CPS3 next to it), one per card removed, --exec run once per card with the
# line on its standard input; it keeps working across a simulator restart, a
# pcscd restart (readers gone and back) and a start before pcscd; no personal
# data on standard error. Test bed: "vitale-family cps-doctor".
here=$(cd "$(dirname "$0")" && pwd)
self="$here/$(basename "$0")"
if [ -z "${TESTBED_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the test bed needs root for its private namespaces"
		exit 77
	fi
	exec "$here/testbed" --cards "vitale-family cps-doctor" "$self"
fi
. "$here/lib.sh"
PY=/usr/bin/python3
T=$TESTBED_DIR
OUT=$T/watch.out
ERR=$T/watch.err
export EXECDIR=$T/exec
mkdir -p "$EXECDIR"

# wait_lines N: until the watcher has printed N lines (10 s at most)
wait_lines() {
	for _ in $(seq 200); do
		[ "$(wc -l < "$OUT")" -ge "$1" ] && return 0
		sleep 0.05
	done
	echo "    only $(wc -l < "$OUT") lines:"; cat "$OUT"
	return 1
}
# line_is N EVENT READER [FIELD=VALUE]: line N (1-based) is that event
line_is() {
	$PY - "$OUT" "$@" <<'PYEOF'
import json, sys
path, n, event, reader = sys.argv[1:5]
lines = open(path, encoding="utf-8").read().splitlines()
d = json.loads(lines[int(n) - 1])
assert d["schema"] == 1 and d["event"] == event and d["reader"] == reader, d
for kv in sys.argv[5:]:
    k, v = kv.split("=", 1)
    if k == "given0":
        assert d["beneficiaries"][0]["given"] == v, d
    else:
        assert str(d[k]) == v, d
PYEOF
}
start_watch() {
	: > "$OUT"
	N0=$(tb_waits)
	santecard-vitale watch --verbose \
		--exec 'echo "$SANTECARD_VITALE_EVENT" > "$EXECDIR/$$.ev"; cat > "$EXECDIR/$$.json"' \
		> "$OUT" 2> "$ERR" &
	WPID=$!
}
R0='Virtual PCD 00 00'
R1='Virtual PCD 00 01'

start_watch
check "start: two lines for the two cards present" wait_lines 2
check "  the carte Vitale" $PY - "$OUT" <<'PYEOF'
import json, sys
ds = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8").read().splitlines()[:2]]
by = {d["reader"]: d for d in ds}
v, c = by["Virtual PCD 00 00"], by["Virtual PCD 00 01"]
assert v["event"] == "card" and [b["given"] for b in v["beneficiaries"]] == ["PIERRE", "SOPHIE", "LÉA"]
assert c["event"] == "error" and c["error"] == "not-vitale" and c["card"]["type"] == "cps3"
PYEOF
tb_watcher_ready "$N0"
tb_card remove 0 > /dev/null
check "removal: one line" wait_lines 3
check "  removed, reader 0" line_is 3 removed "$R0"
tb_card insert 0 > /dev/null
check "insertion: one line" wait_lines 4
check "  card, reader 0" line_is 4 card "$R0" given0=PIERRE
tb_sim_restart 0
check "simulator restarted: removed then card again" wait_lines 6
check "  removed" line_is 5 removed "$R0"
check "  card" line_is 6 card "$R0" given0=PIERRE
tb_pcscd stop
check "pcscd stopped: both cards removed" wait_lines 8
check "  removals" $PY -c '
import json, sys
ds = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()[6:8]]
assert sorted(d["reader"] for d in ds) == ["Virtual PCD 00 00", "Virtual PCD 00 01"]
assert all(d["event"] == "removed" for d in ds)' "$OUT"
tb_pcscd start
check "pcscd back: both cards read again" wait_lines 10
check "  card and error again" $PY -c '
import json, sys
ds = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()[8:10]]
assert sorted(d["event"] for d in ds) == ["card", "error"]' "$OUT"
tb_card remove 1 > /dev/null
tb_card insert 1 > /dev/null
check "CPS removed and inserted: removed, error" wait_lines 12
check "  removed" line_is 11 removed "$R1"
check "  error" line_is 12 error "$R1" error=not-vitale
check "still running" kill -0 "$WPID"
kill -TERM "$WPID"
wait "$WPID"
check "SIGTERM: exits 0" test $? = 0

# --exec ran once per card line (card or error), with that line on stdin
sleep 0.3
check "--exec: once per card inserted (7 times)" test "$(ls "$EXECDIR"/*.json | wc -l)" = 7
check "--exec: each got its line and SANTECARD_VITALE_EVENT" $PY - "$EXECDIR" "$OUT" <<'PYEOF'
import glob, json, os, sys
lines = [l for l in open(sys.argv[2], encoding="utf-8").read().splitlines()
         if json.loads(l)["event"] != "removed"]
got = []
for f in glob.glob(os.path.join(sys.argv[1], "*.json")):
    data = open(f, encoding="utf-8").read()
    assert data.endswith("\n") and data.count("\n") == 1
    ev = open(f[:-5] + ".ev").read().strip()
    assert json.loads(data)["event"] == ev, (ev, data)
    got.append(data.rstrip("\n"))
assert sorted(got) == sorted(lines)
PYEOF
check "no personal data on standard error" $PY - "$ERR" <<'PYEOF'
import sys
t = open(sys.argv[1], encoding="utf-8").read()
for s in ["MARTIN", "PIERRE", "SOPHIE", "179036912304535", "281112A00401815", "1979"]:
    assert s not in t, s
assert "2 readers" in t and "not reachable" in t, t
PYEOF

# started before pcscd: waits for it, then reads the cards
tb_pcscd stop
rm -f "$EXECDIR"/*
start_watch
sleep 1
check "started without pcscd: still running, nothing printed" sh -c "kill -0 $WPID && test ! -s '$OUT'"
tb_pcscd start
check "pcscd started: both cards" wait_lines 2
kill -TERM "$WPID"
wait "$WPID"

# stdout closed: the watcher stops instead of spinning
santecard-vitale watch | head -n 1 > "$T/first" &
HP=$!
tb_card remove 0 > /dev/null; tb_card insert 0 > /dev/null
for _ in $(seq 100); do kill -0 $HP 2>/dev/null || break; sleep 0.1; done
check "stdout closed (| head -1): exits" sh -c "! kill -0 $HP 2>/dev/null"
check "  the first line is JSON" $PY -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/first"
check "bad option: exit 2" sh -c 'santecard-vitale watch --bogus 2>/dev/null; test $? = 2'
tb_summary
