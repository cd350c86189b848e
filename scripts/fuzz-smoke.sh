#!/usr/bin/env bash
# Run every fuzz target for a few seconds from its seed corpus.
# Usage: fuzz-smoke.sh BUILD_DIR SECONDS
set -euo pipefail
build=${1:-build-fuzz}
secs=${2:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
mapfile -t targets < <(find "$build" -maxdepth 4 -type f -executable \
	-name 'fuzz_*' ! -path '*/CMakeFiles/*' | sort)
if [ ${#targets[@]} -eq 0 ]; then
	echo "fuzz-smoke: no fuzz targets built in $build" >&2
	exit 1
fi
fail=0
for t in "${targets[@]}"; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	seeds="$root/fuzz/corpus/$name"
	work=$(mktemp -d)
	[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/
	if "$t" -max_total_time="$secs" -print_final_stats=0 \
	    -rss_limit_mb=2048 -timeout=10 "$work" >"$work.log" 2>&1; then
		runs=$(grep -Eo 'DONE.*|#[0-9]+' "$work.log" | tail -1)
		echo "fuzz-smoke: $name ok ($runs)"
	else
		echo "fuzz-smoke: $name FAILED" >&2
		tail -40 "$work.log" >&2
		fail=1
	fi
	rm -rf "$work" "$work.log"
done
exit $fail
