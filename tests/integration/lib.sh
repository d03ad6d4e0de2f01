# lib.sh - helpers for scripts that run inside tests/integration/testbed.
# Source it; every helper is bounded in time and returns non-zero on failure.

# tb_card remove|insert|status SLOT: talk to the simulator of reader SLOT.
tb_card() {
	local sock
	case "$2" in
	0) sock=$TESTBED_SIM0_CTL ;;
	1) sock=$TESTBED_SIM1_CTL ;;
	*) echo "tb_card: bad slot '$2'" >&2; return 2 ;;
	esac
	echo "$1" | socat -t2 - "UNIX-CONNECT:$sock"
}

# tb_pcscd stop|start: ask the testbed to stop or (re)start pcscd, and wait for it.
tb_pcscd() {
	local want sig
	case "$1" in
	stop) sig=USR1; want=stopped ;;
	start) sig=USR2; want=running ;;
	*) echo "tb_pcscd: stop or start" >&2; return 2 ;;
	esac
	rm -f "$TESTBED_DIR/pcscd.state"
	kill -"$sig" "$TESTBED_PID" || return 1
	for _ in $(seq 100); do
		case "$(cat "$TESTBED_DIR/pcscd.state" 2>/dev/null)" in
		"$want"*) return 0 ;;
		failed) echo "tb_pcscd: pcscd failed to start" >&2; return 1 ;;
		esac
		sleep 0.05
	done
	echo "tb_pcscd: pcscd did not become $want" >&2
	return 1
}

# tb_sim_restart SLOT: stop the simulator of reader SLOT and start it again with
# the same card state file (what a real card keeps survives), and wait for it.
tb_sim_restart() {
	rm -f "$TESTBED_DIR/restart.state"
	echo "$1" >> "$TESTBED_DIR/restart.req"
	kill -ALRM "$TESTBED_PID" || return 1
	for _ in $(seq 200); do
		[ -f "$TESTBED_DIR/restart.state" ] && return 0
		sleep 0.025
	done
	echo "tb_sim_restart: the simulator of reader $1 did not restart" >&2
	return 1
}

# tb_wait_for CMD...: retry CMD every 50 ms for up to 5 s until it succeeds.
tb_wait_for() {
	for _ in $(seq 100); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

# Waiting clients, as pcscd's debug log counts them (the testbed runs it with -d).
tb_waits() { grep -c 'CMD_WAIT_READER_STATE_CHANGE from' "$TESTBED_PCSCD_LOG"; }

# tb_watcher_ready N: wait until a client blocks in SCardGetStatusChange after the
# count was N, i.e. an event watcher started after `N=$(tb_waits)` has taken its
# snapshot and is listening. Without this a test would race the watcher's start.
tb_watcher_ready() {
	local n0=$1
	for _ in $(seq 200); do
		[ "$(tb_waits)" -gt "$n0" ] && return 0
		sleep 0.025
	done
	echo "tb_watcher_ready: no client waiting for events" >&2
	return 1
}

# Test reporting: check NAME CMD... runs CMD and records pass/fail.
tb_passed=0
tb_failed=0
check() {
	local name=$1
	shift
	if "$@"; then
		tb_passed=$((tb_passed + 1))
		echo "  ok: $name"
	else
		tb_failed=$((tb_failed + 1))
		echo "  FAILED: $name"
	fi
}

# tb_summary: the plain closing line; exit status 1 if anything failed.
tb_summary() {
	echo "$tb_passed passed, $tb_failed failed"
	[ "$tb_failed" = 0 ]
}
