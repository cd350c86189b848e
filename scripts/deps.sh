#!/usr/bin/env bash
# Install every build and test dependency of the Betanet suite on Debian 12.
# Idempotent: does nothing (and needs no network) when all are present.
# Must run as root, or with sudo available.
set -euo pipefail

PKGS=(
	build-essential cmake pkg-config
	libevent-dev libssl-dev libprotobuf-c-dev protobuf-c-compiler
	libyaml-dev check libjansson-dev
	clang libclang-rt-14-dev
	curl python3 ca-certificates libhiredis-dev redis-server libhttp-parser-dev
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || {
		echo "deps.sh: need root to install: ${missing[*]}" >&2
		exit 2
	}
	SUDO=sudo
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
