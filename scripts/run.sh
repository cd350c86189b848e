#!/usr/bin/env bash
# `make run`: run the suite locally from a build directory.
#
# State lives in ./run: keys (made on first run, private files 0600),
# sockets, the replay log and one log file per daemon.  Starts ticketd,
# upstreamd and htx-gw (the daemons built so far), prints the gateway URL
# and a ready ticket, and stops them all on Ctrl-C or when one dies.
# Ports: BN_GW_PORT (8080) for the gateway, BN_UP_PORT (7443) for HTX.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cli="$build/betanet"
rundir="$root/run"
keys="$rundir/keys"
gw_port=${BN_GW_PORT:-8080}
up_port=${BN_UP_PORT:-7443}

for b in "$cli" "$build/services/ticketd/ticketd" \
    "$build/services/upstreamd/upstreamd" "$build/services/htx-gw/htx-gw"; do
	[ -x "$b" ] || { echo "run: $b is not built (make build)" >&2; exit 1; }
done
mkdir -p "$keys/ticketd" "$rundir/state" "$rundir/log"
chmod 700 "$rundir" "$keys"

# Keys: made once, reused on every later run.
[ -f "$keys/node.key" ] || "$cli" keygen --out "$keys/node" >/dev/null
[ -f "$keys/gateway.key" ] || "$cli" keygen --out "$keys/gateway" >/dev/null
[ -f "$keys/ticketd/site.key" ] ||
	"$cli" ticket-keygen --out "$keys/ticketd/site" >/dev/null

pids=()
stop() {
	trap - INT TERM EXIT
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	echo "run: stopped"
	exit "${1:-0}"
}
trap 'stop 0' INT TERM
trap 'stop $?' EXIT

# start NAME READY-PATTERN CMD...: start a daemon, wait for its ready line.
start() {
	local name=$1 pat=$2 log="$rundir/log/$1.log" i
	shift 2
	: >"$log"
	"$@" 2>>"$log" >>"$log" &
	pids+=($!)
	for i in $(seq 1 100); do
		grep -q "$pat" "$log" && return 0
		kill -0 "${pids[-1]}" 2>/dev/null || break
		sleep 0.1
	done
	echo "run: $name did not start; its log ($log):" >&2
	tail -20 "$log" >&2
	exit 1
}

start ticketd "event=listening" "$build/services/ticketd/ticketd" \
	--socket "$rundir/ticketd.sock" --keys "$keys/ticketd" \
	--state "$rundir/state"
start upstreamd "event=listening" "$build/services/upstreamd/upstreamd" \
	--key "$keys/node.key" --listen "127.0.0.1:$up_port" \
	--socket "$rundir/upstreamd.sock" \
	--plugin-dir "$build/plugins" \
	--allowed-gateway "$(cat "$keys/gateway.pub")"
start htx-gw "event=listening" "$build/services/htx-gw/htx-gw" \
	--listen "127.0.0.1:$gw_port" --ticketd "$rundir/ticketd.sock" \
	--key "$keys/gateway.key" --admin-socket "$rundir/htx-gw.sock" \
	--upstream "127.0.0.1:$up_port,$(cat "$keys/node.pub")"

cookie=$("$cli" ticket --site "$keys/ticketd/site")
cat <<TXT
run: ticketd, upstreamd and htx-gw are up (logs in run/log/).
  gateway:  http://127.0.0.1:$gw_port/
  a ticket (valid once, this hour):
    curl -H "Cookie: $cookie" http://127.0.0.1:$gw_port/hello/world
  more tickets:  $cli ticket --site $keys/ticketd/site
  metrics:       curl -H "Cookie: \$($cli ticket --site $keys/ticketd/site)" http://127.0.0.1:$gw_port/metrics
Ctrl-C stops everything.
TXT
# Wait until a daemon exits (or Ctrl-C).
wait -n "${pids[@]}" || true
echo "run: a daemon exited; see run/log/" >&2
stop 1
