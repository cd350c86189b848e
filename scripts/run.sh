#!/usr/bin/env bash
# `make run`: run the suite locally from a build directory.
#
# Keys are made on first run under ./run/keys (0600 private files) and
# reused afterwards.  Each daemon that is built is started here, in the
# order they depend on each other; the ones not built yet are skipped.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cli="$build/betanet"
rundir="$root/run"
keys="$rundir/keys"
mkdir -p "$keys"
chmod 700 "$rundir" "$keys"

[ -x "$cli" ] || { echo "run: $cli not built" >&2; exit 1; }

[ -f "$keys/node.key" ] || "$cli" keygen --out "$keys/node" >/dev/null
[ -f "$keys/gateway.key" ] || "$cli" keygen --out "$keys/gateway" >/dev/null
[ -f "$keys/ticket.key" ] || "$cli" ticket-keygen --out "$keys/ticket" >/dev/null

echo "run: keys in $keys"
echo "  node public key:    $(cat "$keys/node.pub")"
echo "  gateway public key: $(cat "$keys/gateway.pub")"
echo "  ticket key id:      $(cat "$keys/ticket.id")"
ticket=$("$cli" ticket --pub "$(cat "$keys/ticket.pub")" \
	--key-id "$(cat "$keys/ticket.id")" --carrier cookie)
echo "  a fresh ticket:     $ticket"

daemons=()
for d in ticketd upstreamd htx-gw metricsd calibrated; do
	[ -x "$build/services/$d/$d" ] && daemons+=("$d")
done
if [ ${#daemons[@]} -eq 0 ]; then
	echo "run: no daemon is built yet (libcommon and the betanet CLI only)."
	echo "run: try: $cli --help"
	exit 0
fi
