#!/usr/bin/env bash
# `make bench`: run every benchmark built in BUILD and print its tables.
set -euo pipefail
build=${1:-build}
shopt -s nullglob
for b in "$build"/*_bench; do
	echo "== $(basename "$b")"
	"$b"
done
