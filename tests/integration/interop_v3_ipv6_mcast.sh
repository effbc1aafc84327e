#!/usr/bin/env bash
# interop_v3_ipv6_mcast.sh — keepvip joins a VRRPv3 (RFC 5798) IPv6 multicast group run by
# keepalived 2.2.7: 100 ms adverts to ff02::12 from link-local sources, VIP fd99::100/64,
# VRID 54. keepalived on host 1, keepvip on hosts 2 and 3.
# (a) keepalived higher: it is master; SIGKILL -> keepvip takes over; restart -> keepalived
#     preempts back; SIGTERM -> keepvip takes over after Skew_Time.
# (b) keepvip higher: it preempts keepalived; SIGKILL -> keepalived takes over; restart ->
#     keepvip preempts back; SIGTERM -> keepalived takes over after Skew_Time.
# Over IPv6 keepalived lets the kernel verify the checksum (IPV6_CHECKSUM): an advert with a
# bad one is dropped without a log line. What proves that keepalived accepts keepvip's adverts
# is the election (it steps down for keepvip, and never holds the VIP beside it); keepvip's
# own adverts are checked on the wire by tshark_wire.sh.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
# shellcheck source=lib/keepalived.sh
. "$(dirname "$0")/lib/keepalived.sh"
lab_init interop_v3_ipv6_mcast "${1:-}"
ka_has_binary || lab_cannot_run "keepalived is not installed ($KA_BIN)"
lab_up 3

IO_VERSION=3
IO_ADVERT_MS=100
IO_VIP=fd99::100/64
IO_VRID=54
IO_UNICAST=0
ka_interop_run
