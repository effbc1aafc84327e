#!/usr/bin/env bash
# interop_v2_mcast.sh — keepvip joins a VRRPv2 (RFC 3768) multicast group run by keepalived
# 2.2.7: 1 s adverts to 224.0.0.18, VRID 52. keepalived on host 1, keepvip on hosts 2 and 3.
# (a) keepalived higher: it is master; SIGKILL -> keepvip takes over; restart -> keepalived
#     preempts back; SIGTERM -> keepvip takes over after Skew_Time.
# (b) keepvip higher: it preempts keepalived; SIGKILL -> keepalived takes over; restart ->
#     keepvip preempts back; SIGTERM -> keepalived takes over after Skew_Time.
# Exactly one holder whenever the group has settled; keepalived never complains about
# keepvip's adverts, keepvip never drops keepalived's (lib/keepalived.sh).
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
# shellcheck source=lib/keepalived.sh
. "$(dirname "$0")/lib/keepalived.sh"
lab_init interop_v2_mcast "${1:-}"
ka_has_binary || lab_cannot_run "keepalived is not installed ($KA_BIN)"
lab_up 3

IO_VERSION=2
IO_ADVERT_MS=1000
IO_VIP=10.99.0.100/24
IO_VRID=52
IO_UNICAST=0
ka_interop_run
