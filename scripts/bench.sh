#!/usr/bin/env bash
# `make bench`: run the benchmarks against a build directory and print
# their tables (figures to copy into bench/RESULTS.md with the command
# and the machine).  Not a test: nothing here asserts a speed.
#   htx_bench       libcommon: frames, handshakes, in-process sessions
#   ticketd_bench   ticketd over its socket (log store and Redis)
#   upstream_bench  upstreamd over TCP, load client on this host
#   gateway_bench   htx-gw vs nginx with wrk (installs wrk, nginx-light)
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
echo "== htx_bench"
"$build/htx_bench"
echo "== ticketd_bench"
"$build/ticketd_bench" --ticketd "$build/services/ticketd/ticketd" \
	--redis-server "$(command -v redis-server || echo /usr/bin/redis-server)"
echo "== upstream_bench"
"$build/upstream_bench" --upstreamd "$build/services/upstreamd/upstreamd"
echo "== gateway_bench"
bash bench/gateway_bench.sh "$build"
