#!/usr/bin/env bash
# setup.sh — installs every Debian package keepvip needs to build, test and demo.
# Idempotent and quiet: does nothing when everything is already installed.
set -euo pipefail

PACKAGES=(
	build-essential cmake pkg-config clang
	libnl-3-dev libnl-route-3-dev libcurl4-openssl-dev libjansson-dev libyaml-dev libcmocka-dev
	libmicrohttpd-dev prometheus python3-yaml python3-jsonschema docker.io debootstrap socat
	iproute2 tcpdump tshark keepalived procps python3
)

missing=()
for pkg in "${PACKAGES[@]}"; do
	if [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != 'install ok installed' ]; then
		missing+=("$pkg")
	fi
done
if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "setup.sh: missing packages: ${missing[*]}; run as root (sudo $0)" >&2
	exit 1
fi
echo "setup.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture: answer no, without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
