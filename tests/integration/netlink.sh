#!/bin/sh
# netlink.sh — runs test_netlink inside a network namespace of its own and always removes it.
#
#   tests/integration/netlink.sh [path/to/test_netlink]     (default: $TEST_NETLINK or ./test_netlink)
#
# Inside namespace kvnl-<pid>: lo up; veth kvnl0 <-> kvnl1, kvnl0 with 10.77.0.1/24 and
# fd00:77::1/64; veth kvnld <-> kvnle, kvnld with 10.0.0.1/8 carrying the IPv4 and IPv6
# default routes (veth rather than dummy: the dummy driver is not in every kernel).
# Exits with the test's status (non-zero on any failure). When the namespace cannot be made
# (not root, no CAP_SYS_ADMIN) it follows lib/netns.sh: exit 1 with CI=true, else 77 (skip).
set -eu

bin=${1:-${TEST_NETLINK:-./test_netlink}}
ns=kvnl-$$

case $bin in
/*) ;;
*) bin=$(pwd)/$bin ;;
esac
if [ ! -x "$bin" ]; then
	echo "netlink.sh: $bin: not an executable" >&2
	exit 1
fi

# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

in_ns() {
	ip netns exec "$ns" "$@"
}

if ! ip netns add "$ns"; then
	echo "netlink.sh: cannot create network namespace $ns (root and CAP_SYS_ADMIN needed)" >&2
	if [ "${CI:-}" = true ]; then
		exit 1
	fi
	exit 77
fi
in_ns ip link set lo up
in_ns ip link add kvnl0 type veth peer name kvnl1
in_ns ip link add kvnld type veth peer name kvnle
in_ns ip addr add 10.77.0.1/24 dev kvnl0
in_ns ip -6 addr add fd00:77::1/64 dev kvnl0 nodad
in_ns ip addr add 10.0.0.1/8 dev kvnld
for link in kvnl0 kvnl1 kvnld kvnle; do
	in_ns ip link set "$link" up
done
in_ns ip route add default dev kvnld
in_ns ip -6 route add default dev kvnld

status=0
in_ns "$bin" kvnl0 kvnl1 kvnld || status=$?
if [ "$status" -ne 0 ]; then
	echo "netlink.sh: test_netlink failed (exit $status)" >&2
fi
exit "$status"
