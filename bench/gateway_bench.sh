#!/usr/bin/env bash
# bench/gateway_bench.sh [BUILD]: htx-gw next to nginx, same run, same host.
#
# Needs wrk and nginx.  They are benchmark tools, not build or test
# dependencies (scripts/deps.sh does not list them): when missing, this
# script installs them itself with `apt-get install -y wrk nginx-light`
# (as root; otherwise it says what to install and stops).  No system
# nginx service is used: both nginx instances run from a temp config,
# in the foreground of this script, as the current user.
#
# Builds nothing: BUILD (default build) must hold a RelWithDebInfo build
# of ticketd, upstreamd, htx-gw, the betanet CLI and gw_load_bench
# (`make build`, or cmake --build BUILD --target ...).
#
# What it runs, all on loopback, in a temp dir removed at exit:
#   - ticketd, upstreamd (built-in app: GET /hello/x answers "hello x"),
#     htx-gw with tickets on (--ticketd), and a second htx-gw with
#     --tickets off (same upstreamd), for a like-for-like wrk run;
#   - nginx origin (one worker, `return 200 "hello x"`) and nginx proxy
#     (one worker, proxy_pass to the origin through a keepalive
#     upstream), so each side is two single-threaded server processes.
# Load, for each of BENCH_CONNS (default "1 16 256"), BENCH_TIME seconds
# each (default 10), one client thread (BENCH_THREADS) for every tool:
#   1. wrk -> nginx proxy;
#   2. wrk -> htx-gw --tickets off;
#   3. gw_load_bench -> htx-gw, tickets on: every connection gets its
#      own fresh ticket, verified by ticketd on its first request (wrk's
#      Lua API cannot do that per connection: see gw_load_bench.c);
#   4. gw_load_bench -> nginx proxy (the same client against nginx).
# Then memory: BENCH_IDLE (10000) idle keep-alive connections to the
# ticketed htx-gw, each admitted by its own ticket (VmRSS from /proc),
# and a soak of BENCH_SOAK seconds (default 300; 0 skips) of
# gw_load_bench -c16 against it, VmRSS sampled every 10 s.
# Output: markdown tables on stdout (paste into bench/RESULTS.md).
#
# BENCH_ROUNDS (default 1) repeats the load lines, alternating the
# servers, and keeps each line's round with the most req/s, so a slice
# slowed by a neighbour on the shared host does not count.
#
# Env: BENCH_TIME, BENCH_CONNS, BENCH_THREADS, BENCH_ROUNDS, BENCH_IDLE,
# BENCH_SOAK,
# BENCH_PORT (first of 5 ports; default: 5 free ones picked at random),
# BENCH_KEEP=1 keeps the temp dir (logs).
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
secs=${BENCH_TIME:-10}
conns=${BENCH_CONNS:-"1 16 256"}
threads=${BENCH_THREADS:-1}
rounds=${BENCH_ROUNDS:-1}
idle=${BENCH_IDLE:-10000}
soak=${BENCH_SOAK:-300}
# Free ports below the ephemeral range (an outgoing connection, e.g. the
# gateway's to upstreamd, must not take one before its daemon binds it),
# checked, so a daemon someone else left running never shares our load.
port_free() { ! ss -Htan "sport = :$1" 2>/dev/null | grep -q .; }
eph_lo=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range \
    2>/dev/null || echo 32768)
base=${BENCH_PORT:-}
if [ -z "$base" ]; then
	for try in $(seq 1 50); do
		base=$((10000 + RANDOM % (eph_lo - 10010)))
		ok=1
		for p in $(seq "$base" $((base + 4))); do
			port_free "$p" || ok=0
		done
		[ "$ok" = 1 ] && break
	done
fi
for p in $(seq "$base" $((base + 4))); do
	port_free "$p" || { echo "bench: port $p is in use" >&2; exit 1; }
done
gw_port=$base
gw_off_port=$((base + 1))
up_port=$((base + 2))
ngx_origin_port=$((base + 3))
ngx_proxy_port=$((base + 4))

# ---- tools ------------------------------------------------------------
if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null &&
    ! [ -x /usr/sbin/nginx ]; then
	if [ "$(id -u)" -eq 0 ]; then
		echo "bench: installing wrk and nginx-light (benchmark only)" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		    wrk nginx-light >/dev/null ||
		    { apt-get update -qq >/dev/null &&
		    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		    wrk nginx-light >/dev/null; }
	else
		echo "bench: needs wrk and nginx: apt-get install wrk" \
		    "nginx-light (as root)" >&2
		exit 1
	fi
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
for b in "$build/betanet" "$build/services/ticketd/ticketd" \
    "$build/services/upstreamd/upstreamd" \
    "$build/services/htx-gw/htx-gw" "$build/gw_load_bench"; do
	[ -x "$b" ] || { echo "bench: $b is not built" >&2; exit 1; }
done
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
cli=$build/betanet
loadc=$build/gw_load_bench

tmp=$(mktemp -d /tmp/gwbench.XXXXXX)
chmod 700 "$tmp"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "bench: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# start NAME READY-PATTERN CMD...: start a daemon, wait for its ready line.
start() {
	local name=$1 pat=$2 log="$tmp/$1.log" i
	shift 2
	: >"$log"
	"$@" >>"$log" 2>&1 &
	pids+=($!)
	eval "pid_$name=$!"
	for i in $(seq 1 100); do
		if [ -z "$pat" ]; then	# no ready line: alive after a moment
			sleep 0.3
			kill -0 "${pids[-1]}" 2>/dev/null && return 0
			break
		fi
		grep -q "$pat" "$log" && return 0
		kill -0 "${pids[-1]}" 2>/dev/null || break
		sleep 0.1
	done
	echo "bench: $name did not start; its log:" >&2
	tail -20 "$log" >&2
	exit 1
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# ---- the suite --------------------------------------------------------
mkdir -p "$tmp/keys/ticketd" "$tmp/state"
"$cli" keygen --out "$tmp/keys/node" >/dev/null
"$cli" keygen --out "$tmp/keys/gateway" >/dev/null
"$cli" ticket-keygen --out "$tmp/keys/ticketd/site" >/dev/null
site=$tmp/keys/ticketd/site
# One client IP makes every ticket: lift ticketd's per-IP bucket.
start ticketd "event=listening" "$build/services/ticketd/ticketd" \
	--socket "$tmp/ticketd.sock" --keys "$tmp/keys/ticketd" \
	--state "$tmp/state" --set bucket_capacity=1000000 \
	--set bucket_rate=1000000
start upstreamd "event=listening" "$build/services/upstreamd/upstreamd" \
	--key "$tmp/keys/node.key" --listen "127.0.0.1:$up_port" \
	--socket "$tmp/upstreamd.sock" --plugin-dir "$build/plugins" \
	--allow-any-gateway
upstream="127.0.0.1:$up_port,$(cat "$tmp/keys/node.pub")"
start gw "event=listening" "$build/services/htx-gw/htx-gw" \
	--listen "127.0.0.1:$gw_port" --ticketd "$tmp/ticketd.sock" \
	--key "$tmp/keys/gateway.key" --admin-socket "$tmp/htx-gw.sock" \
	--upstream "$upstream" --set max_connections=20000
start gw_off "event=listening" "$build/services/htx-gw/htx-gw" \
	--listen "127.0.0.1:$gw_off_port" --tickets off \
	--key "$tmp/keys/gateway.key" --admin-socket "$tmp/htx-gw-off.sock" \
	--upstream "$upstream"

# ---- nginx ------------------------------------------------------------
ngx_conf() {	# NAME PORT BODY-OF-SERVER [HTTP-EXTRA]
	local d="$tmp/nginx-$1"
	mkdir -p "$d"
	{
		[ "$(id -u)" -eq 0 ] &&
		    echo "user $(id -un) $(id -gn);"
		cat <<NGX
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile 65536;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 20000; }
http {
	access_log off;
	client_body_temp_path $d/body;
	proxy_temp_path $d/proxy;
	fastcgi_temp_path $d/fastcgi;
	uwsgi_temp_path $d/uwsgi;
	scgi_temp_path $d/scgi;
	keepalive_requests 1000000;
	keepalive_timeout 60s;
	server_tokens off;
	${4:-}
	server {
		listen 127.0.0.1:$2 backlog=4096;
		$3
	}
}
NGX
	} >"$d/nginx.conf"
	echo "$d/nginx.conf"
}
origin_conf=$(ngx_conf origin "$ngx_origin_port" \
	'location = /hello/x { default_type "text/plain; charset=utf-8";
		return 200 "hello x"; }')
proxy_conf=$(ngx_conf proxy "$ngx_proxy_port" \
	'location / { proxy_pass http://origin; proxy_http_version 1.1;
		proxy_set_header Connection ""; }' \
	"upstream origin { server 127.0.0.1:$ngx_origin_port;
		keepalive 512; keepalive_requests 1000000; }")
# -p/-e: the prefix and error log keep it off the system paths.
start nginx_origin "" "$nginx_bin" -p "$tmp/nginx-origin" \
	-e "$tmp/nginx-origin/error.log" -c "$origin_conf"
start nginx_proxy "" "$nginx_bin" -p "$tmp/nginx-proxy" \
	-e "$tmp/nginx-proxy/error.log" -c "$proxy_conf"
# CPU and RSS are the workers' (one each), not the masters'.
wk_origin=$(pgrep -P "$pid_nginx_origin" | head -1)
wk_proxy=$(pgrep -P "$pid_nginx_proxy" | head -1)
for i in $(seq 1 50); do
	curl -sf "http://127.0.0.1:$ngx_proxy_port/hello/x" >/dev/null &&
	    break
	sleep 0.1
done

# ---- sanity: the same bytes, and tickets really checked ---------------
ticket=$("$cli" ticket --site "$site")
echo "### responses"
echo
echo '```'
echo "# nginx proxy"
curl -si "http://127.0.0.1:$ngx_proxy_port/hello/x" | tr -d '\r'
echo
echo "# htx-gw (ticket cookie)"
curl -si -H "Cookie: $ticket" "http://127.0.0.1:$gw_port/hello/x" |
	tr -d '\r'
echo
echo "# htx-gw, same ticket on a new connection (replay)"
curl -si -H "Cookie: $ticket" "http://127.0.0.1:$gw_port/hello/x" |
	tr -d '\r' | head -1
echo "# htx-gw, no ticket"
curl -si "http://127.0.0.1:$gw_port/hello/x" | tr -d '\r' | head -1
echo '```'
echo

# ---- load ---------------------------------------------------------------
to_us() {	# wrk latency (e.g. 93.00us 1.20ms 2.01s) to microseconds
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) print int(n)
		else if (v ~ /ms$/) print int(n * 1000)
		else if (v ~ /s$/) print int(n * 1000000)
		else print "?" }'
}
# run_wrk PORT CONNS -> "rps p50 p99 errors"
run_wrk() {
	local out t=$threads
	[ "$2" -lt "$t" ] && t=$2
	out=$(wrk -t"$t" -c"$2" -d"${secs}s" --latency \
	    "http://127.0.0.1:$1/hello/x" 2>&1)
	echo "$out" >>"$tmp/wrk.out"
	printf '%s %s %s %s\n' \
	    "$(echo "$out" | awk '/^Requests\/sec:/ { printf "%d", $2 }')" \
	    "$(to_us "$(echo "$out" | awk '$1 == "50%" { print $2 }')")" \
	    "$(to_us "$(echo "$out" | awk '$1 == "99%" { print $2 }')")" \
	    "$(echo "$out" | awk '/Non-2xx|Socket errors/ {
		    sub(/^ +/, ""); printf "%s; ", $0 }')"
}
# run_lb PORT CONNS [ARGS...] -> "rps p50 p99 notes"
run_lb() {
	local out port=$1 c=$2 t=$threads
	shift 2
	[ "$c" -lt "$t" ] && t=$c
	out=$("$loadc" --connect "127.0.0.1:$port" --conns "$c" \
	    --threads "$t" --time "$secs" -v "$@")
	echo "$out" >>"$tmp/lb.out"
	echo "$out" | awk '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		notes = ""
		if (v["non200"] > 0) notes = notes "non200=" v["non200"] " "
		if (v["errors"] > 0) notes = notes "errors=" v["errors"] " "
		if (v["admitted"] > 0) notes = notes "admitted=" v["admitted"]
		print v["rps"], v["p50_us"], v["p99_us"], notes }'
}
cpu_ticks() {	# utime+stime of the given pids, in clock ticks
	local p s=0
	for p in "$@"; do
		s=$((s + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
	done
	echo "$s"
}

echo "### load: GET /hello/x, ${secs} s per line, client threads:" \
    "$threads, best of $rounds round(s)"
echo
echo "load before the runs: $(uptime | sed 's/.*load average/load average/')"
echo
echo "| server | client | tickets | -c | req/s | p50 us | p99 us |" \
    "front CPU us/req | back CPU us/req | notes |"
echo "|---|---|---|---:|---:|---:|---:|---:|---:|---|"
hz=$(getconf CLK_TCK)
per_req() {	# TICKS SECONDS RPS -> CPU microseconds per request
	awk -v t="$1" -v hz="$hz" -v s="$2" -v r="$3" 'BEGIN {
		if (r > 0) printf "%.1f", t / hz * 1e6 / (r * s); else print "?" }'
}
# row SERVER CLIENT TICKETS C "rps p50 p99 notes" FRONT-TICKS BACK-TICKS
row() {
	local rps p50 p99 notes
	read -r rps p50 p99 notes <<<"$5"
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
	    "$1" "$2" "$3" "$4" "$rps" "$p50" "$p99" \
	    "$(per_req "$6" "$secs" "$rps")" "$(per_req "$7" "$secs" "$rps")" \
	    "$notes"
}
# measure VAR FRONT-PID BACK-PID CMD...: run CMD, CPU deltas into
# $VAR (result line) and ft/bt (ticks).
measure() {
	local var=$1 fp=$2 bp=$3 f0 b0
	shift 3
	f0=$(cpu_ticks "$fp")
	b0=$(cpu_ticks "$bp")
	printf -v "$var" '%s' "$("$@")"
	ft=$(($(cpu_ticks "$fp") - f0))
	bt=$(($(cpu_ticks "$bp") - b0))
}
declare -A res best_row best_rps
order=()
# keep KEY ROW RESULT: the row of the round with the most req/s.
keep() {
	local rps
	read -r rps _ <<<"$3"
	rps=${rps:-0}
	if [ -z "${best_rps[$1]:-}" ]; then
		order+=("$1")
	elif [ "$rps" -le "${best_rps[$1]}" ]; then
		return
	fi
	best_rps[$1]=$rps
	best_row[$1]=$2
	res[$1]=$3
}
for ((round = 1; round <= rounds; round++)); do
	for c in $conns; do
		measure r "$wk_proxy" "$wk_origin" run_wrk "$ngx_proxy_port" "$c"
		keep "ngx_wrk_$c" "$(row "nginx proxy -> origin" wrk - "$c" \
		    "$r" "$ft" "$bt")" "$r"
		measure r "$pid_gw_off" "$pid_upstreamd" run_wrk \
		    "$gw_off_port" "$c"
		keep "gw_wrk_$c" "$(row "htx-gw -> upstreamd" wrk off "$c" \
		    "$r" "$ft" "$bt")" "$r"
		measure r "$wk_proxy" "$wk_origin" run_lb "$ngx_proxy_port" "$c"
		keep "ngx_lb_$c" "$(row "nginx proxy -> origin" gw_load_bench \
		    - "$c" "$r" "$ft" "$bt")" "$r"
		measure r "$pid_gw" "$pid_upstreamd" run_lb "$gw_port" "$c" \
		    --site "$site"
		keep "gw_lb_$c" "$(row "htx-gw -> upstreamd" gw_load_bench \
		    "1 per conn" "$c" "$r" "$ft" "$bt")" "$r"
	done
done
for k in "${order[@]}"; do
	echo "${best_row[$k]}"
done
echo
echo "CPU us/req: user+system CPU time of the front (nginx proxy worker,"
echo "htx-gw) and back (nginx origin worker, upstreamd) process during the"
echo "line, over the requests answered (from /proc/PID/stat).  ticketd's"
echo "share (one verification per connection) is not in either column."
echo

# ---- targets at -c16 ------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b
    else print "?" }'; }
if [[ " $conns " == *" 16 "* ]]; then
	read -r ngx_rps _ _ _ <<<"${res[ngx_wrk_16]}"
	read -r gwo_rps _ gwo_p99 _ <<<"${res[gw_wrk_16]}"
	read -r ngl_rps _ _ _ <<<"${res[ngx_lb_16]}"
	read -r gwt_rps _ gwt_p99 _ <<<"${res[gw_lb_16]}"
	echo "### targets at -c16"
	echo
	echo "| target | wrk, tickets off | gw_load_bench, ticket per conn |"
	echo "|---|---|---|"
	echo "| >= 0.7x nginx req/s | $(ratio "$gwo_rps" "$ngx_rps")x |" \
	    "$(ratio "$gwt_rps" "$ngl_rps")x |"
	echo "| p99 < 2000 us | $gwo_p99 us | $gwt_p99 us |"
	echo "| >= 25000 req/s | $gwo_rps | $gwt_rps |"
	echo
fi

# ---- idle connections ----------------------------------------------------
if [ "$idle" -gt 0 ]; then
	echo "### $idle idle keep-alive connections to htx-gw (tickets on)"
	echo
	rss0=$(rss_kib "$pid_gw")
	fifo=$tmp/idle.fifo
	mkfifo "$fifo"
	"$loadc" --connect "127.0.0.1:$gw_port" --site "$site" \
	    --idle "$idle" --hold 600 -v >"$fifo" &
	idle_pid=$!
	pids+=($idle_pid)
	exec 3<"$fifo"
	read -r ready <&3
	sleep 2
	rss1=$(rss_kib "$pid_gw")
	conns_now=$(ls "/proc/$pid_gw/fd" | wc -l)
	kill -TERM "$idle_pid" 2>/dev/null || true
	read -r done_line <&3 || true
	exec 3<&-
	wait "$idle_pid" 2>/dev/null || true
	sleep 2
	rss2=$(rss_kib "$pid_gw")
	echo "| | VmRSS KiB | note |"
	echo "|---|---:|---|"
	echo "| before | $rss0 | after the load runs |"
	echo "| $idle idle conns | $rss1 | client: $ready; gateway fds: $conns_now |"
	echo "| after they closed | $rss2 | |"
	echo
	echo "Per idle connection: $(awk -v a="$rss0" -v b="$rss1" -v n="$idle" \
	    'BEGIN { printf "%.1f", (b - a) / n }') KiB;" \
	    "target: under 150 MiB total ($((150 * 1024)) KiB)."
	echo
fi

# ---- soak ------------------------------------------------------------------
if [ "$soak" -gt 0 ]; then
	echo "### memory across a ${soak} s run (gw_load_bench -c16, tickets on)"
	echo
	"$loadc" --connect "127.0.0.1:$gw_port" --site "$site" --conns 16 \
	    --time "$soak" >"$tmp/soak.out" &
	soak_pid=$!
	pids+=($soak_pid)
	samples=()
	for ((s = 0; s < soak; s += 10)); do
		sleep 10
		kill -0 "$soak_pid" 2>/dev/null || break
		samples+=("$(rss_kib "$pid_gw")/$(rss_kib "$pid_upstreamd")")
	done
	wait "$soak_pid" || true
	echo "htx-gw/upstreamd VmRSS KiB every 10 s: ${samples[*]}"
	echo
	echo "client: $(cat "$tmp/soak.out")"
	echo
fi
echo "load after the runs: $(uptime | sed 's/.*load average/load average/')"
