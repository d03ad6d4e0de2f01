# psc_lib.sh - what the santecard-psc tests share; source it inside the test bed
# after tests/integration/lib.sh. Every wait is bounded.
PSC_STANDIN=$(cd "$(dirname "${BASH_SOURCE[0]}")/../standins/psc" && pwd)
T=$TESTBED_DIR
# the tool's private state and configuration
export XDG_STATE_HOME=$T/state XDG_CONFIG_HOME=$T/config HOME=$T/home
mkdir -p "$HOME"
psc_dirs=()

# psc_start NAME [start options]: a stand-in in $T/NAME, its env sourced; MTLS and
# SECRET are the option sets of its two clients.
psc_start() {
	local name=$1
	shift
	"$PSC_STANDIN/start" "$T/$name" "$@" > "$T/$name.start.log" 2>&1 || {
		cat "$T/$name.start.log"
		echo "FAILED: the PSC stand-in did not start"
		psc_stop_all
		exit 1
	}
	psc_dirs+=("$T/$name")
	# shellcheck disable=SC1091
	. "$T/$name/env"
	MTLS=(--issuer "$PSC_ISSUER" --ca "$PSC_CA" --client-id "$PSC_CLIENT_MTLS_ID"
	      --client-cert "$PSC_CLIENT_CERT" --client-key "$PSC_CLIENT_KEY")
	SECRET=(--issuer "$PSC_ISSUER" --ca "$PSC_CA" --client-id "$PSC_CLIENT_SECRET_ID"
		--client-secret-file "$PSC_CLIENT_SECRET_FILE")
}

psc_stop_all() {
	local d
	for d in "${psc_dirs[@]}"; do "$PSC_STANDIN/stop" "$d"; done
	psc_dirs=()
}
trap psc_stop_all EXIT

# psc_phone DIR MODE|stop [--account IDNAT]
psc_phone() {
	local dir=$1 mode=$2
	shift 2
	if [ "$mode" = stop ]; then
		"$PSC_STANDIN/phone" "$dir" stop
	else
		"$PSC_STANDIN/phone" "$dir" --mode "$mode" "$@" > /dev/null || echo "  (phone $mode failed)"
	fi
}

# psc_run ARGS...: santecard-psc ARGS (60 s at most); stdout in $T/out, stderr in
# $T/err, exit status in $rc; both shown indented for the log.
psc_run() {
	timeout 60 santecard-psc "$@" > "$T/out" 2> "$T/err"
	rc=$?
	echo "  \$ santecard-psc $1 ... -> $rc"
	sed 's/^/    | /' "$T/out" "$T/err" | head -40
}

# psc_tok FIELD: a field of the stored tokens
psc_tok() {
	/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))' \
		"$XDG_STATE_HOME/santecard/psc/tokens.json" "$1"
}

# psc_edit PYTHON: change the stored tokens (j), keeping the file 0600
psc_edit() {
	/usr/bin/python3 -c "
import json, os, sys
p = sys.argv[1]; j = json.load(open(p))
$1
fd = os.open(p + '.new', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
os.write(fd, json.dumps(j).encode()); os.close(fd); os.rename(p + '.new', p)" \
		"$XDG_STATE_HOME/santecard/psc/tokens.json"
}

# psc_json_true JSON EXPR: EXPR (python, on j) is true
psc_json_true() {
	/usr/bin/python3 -c "
import json, sys
j = json.loads(sys.argv[1])
sys.exit(0 if ($2) else 1)" "$1" 2> /dev/null
}
