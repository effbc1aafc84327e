#!/usr/bin/env bash
# ipv6.sh — an IPv6 VIP (fd99::100/64) with VRRPv3, multicast to ff02::12 and then unicast
# to the peers: the highest priority holds it, exactly one holder, hop limit 255 on the wire
# (RFC 5798 §5.1.2.2), failover after SIGKILL, nothing left after exit.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init ipv6 "${1:-}"
lab_up 3

VIP=fd99::100

# shellcheck disable=SC2317 # called through lab_expect
host1_has_vip_64() {
	# Read whole before matching: ip flushes per address, and grep -q leaving early would
	# SIGPIPE it and fail the pipeline under pipefail.
	grep -qF " $VIP/64 " <<<"$(ip -n "$(lab_host_ns 1)" -o addr show dev eth0)"
}

# master_advertises_to HOST HOST ADVERTS VRID: host 1 (prio 150) sent adverts to both.
# shellcheck disable=SC2317 # called through lab_expect
master_advertises_to() {
	lab_some_line_matches "$3" "> fd99::1$1: VRRPv3, Advertisement, vrid $4, prio 150" &&
		lab_some_line_matches "$3" "> fd99::1$2: VRRPv3, Advertisement, vrid $4, prio 150"
}

# ipv6_round TAG VRID [EXTRA SETTINGS...]
ipv6_round() {
	local tag=$1 vrid=$2 wire=0 master bound adverts
	shift 2
	local -a common=("KEEPVIP_VIPS=$VIP/64" "KEEPVIP_VRID=$vrid" KEEPVIP_VRRP_VERSION=3
		KEEPVIP_ADVERT_MS=100 "$@")
	lab_capture_start "" && wire=1
	lab_start_trio "${common[@]}"

	master=$(lab_wait_settled $VIP 5000 1000)
	lab_expect_eq "$tag: highest priority holds $VIP" 1 "$master"
	lab_assert_single_holder "$tag: exactly one holder" $VIP 1
	lab_expect "$tag: the VIP is on host 1 with its /64" host1_has_vip_64
	if [ "$wire" = 1 ]; then
		lab_capture_stop
		adverts=$(lab_capture_text | grep -F 'VRRPv3, Advertisement')
		lab_expect "$tag wire: adverts captured" test -n "$adverts"
		lab_expect "$tag wire: hop limit 255" lab_all_lines_match "$adverts" 'hlim 255,'
		lab_expect "$tag wire: checksums right" lab_no_line_matches "$adverts" 'bad vrrp cksum'
		lab_expect "$tag wire: the advert lists $VIP" lab_some_line_matches "$adverts" "prio 150, .*addrs: $VIP"
		lab_expect "$tag wire: no advert has the VIP as its source" \
			lab_no_line_matches "$adverts" " $VIP > "
		if [ "$tag" = multicast ]; then
			lab_expect "$tag wire: adverts go to ff02::12 from a link-local address (§5.1.2.1)" \
				lab_all_lines_match "$adverts" ' fe80::[0-9a-f:]+ > ff02::12: VRRPv3'
		else
			lab_expect "$tag wire: none to ff02::12" lab_no_line_matches "$adverts" 'ff02::12'
			lab_expect "$tag wire: master advertises to host 2 and host 3" \
				master_advertises_to 2 3 "$adverts" "$vrid"
		fi
	fi

	bound=$(lab_add_ms "$(lab_master_down_ms 100 100)" 1500)
	kill -KILL "${LAB_PID[1]}"
	if lab_wait_holder 2 $VIP 10000; then
		lab_expect_le "$tag: host 2 takes over after SIGKILL" "$LAB_WAITED_MS" "$bound"
	else
		lab_fail "$tag: host 2 takes over after SIGKILL" "timed out"
	fi
	lab_wait_exit 1 2000
	lab_stop_all TERM
	lab_start_keepvip 1 "${common[@]}" KEEPVIP_PRIORITY=150
	lab_wait_not_holder 1 $VIP 2000
	lab_stop 1 TERM
	lab_assert_no_holder "$tag: no VIP left after every daemon exited" $VIP
}

ipv6_round multicast 61
ipv6_round unicast 62 KEEPVIP_PEERS=fd99::11,fd99::12,fd99::13
lab_finish
