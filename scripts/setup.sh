#!/usr/bin/env bash
# setup.sh — installs every Debian package keepvip needs to build, test and demo, then the npm
# packages of the template tests (tests/templates: npm ci, from its package-lock.json).
# Idempotent and quiet: does nothing when everything is already installed.
set -euo pipefail

PACKAGES=(
	build-essential cmake pkg-config clang
	libnl-3-dev libnl-route-3-dev libcurl4-openssl-dev libjansson-dev libyaml-dev libcmocka-dev
	libmicrohttpd-dev prometheus python3-yaml python3-jsonschema docker.io debootstrap socat
	iproute2 tcpdump tshark keepalived procps python3 iptables curl iputils-ping
	nodejs npm kubernetes-client
	systemd man-db groff-base util-linux
)

# Packages that stand for a command another package may already provide (a Node.js that
# bundles npm, a kubectl from elsewhere): installing Debian's over it would conflict.
declare -A COMMAND_OF=([nodejs]=node [npm]=npm [kubernetes-client]=kubectl)

REPO=$(cd "$(dirname "$0")/.." && pwd)
NPM_DIR="$REPO/tests/templates"

npm_ci() {
	# Once per package-lock.json: npm writes its own copy of the lock into node_modules.
	if [ -f "$NPM_DIR/node_modules/.package-lock.json" ] &&
	   [ "$NPM_DIR/node_modules/.package-lock.json" -nt "$NPM_DIR/package-lock.json" ]; then
		return 0
	fi
	echo "setup.sh: npm ci in tests/templates" >&2
	(cd "$NPM_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}

missing=()
for pkg in "${PACKAGES[@]}"; do
	if [ -n "${COMMAND_OF[$pkg]:-}" ] && command -v "${COMMAND_OF[$pkg]}" >/dev/null; then
		continue
	fi
	if [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != 'install ok installed' ]; then
		missing+=("$pkg")
	fi
done
if [ "${#missing[@]}" -eq 0 ]; then
	npm_ci
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "setup.sh: missing packages: ${missing[*]}; run it as root (or through sudo)" >&2
	exit 1
fi
echo "setup.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture: answer no, without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
npm_ci
