#!/usr/bin/env bash
# v2_multicast.sh — VRRPv2 (RFC 3768) multicast, 1 s adverts: the highest priority wins,
# adverts are version 2 with TTL 255 to 224.0.0.18 carrying the interval in seconds,
# SIGKILL fails over within Master_Down_Interval (3.6 s for priority 100) plus margin,
# SIGTERM hands over, nothing is left after exit.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init v2_multicast "${1:-}"
lab_up 3

VIP=10.99.0.100
ADVERT_MS=1000
common=("KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=52 KEEPVIP_VRRP_VERSION=2 "KEEPVIP_ADVERT_MS=$ADVERT_MS")
wire=0
lab_capture_start "" && wire=1

lab_start_trio "${common[@]}"

master=$(lab_wait_settled $VIP 10000 3000)
lab_expect_eq "highest priority (150) holds the VIP" 1 "$master"
lab_assert_single_holder "exactly one holder" $VIP 1

if [ "$wire" = 1 ]; then
	lab_capture_stop
	adverts=$(lab_capture_text | grep -F 'VRRPv2, Advertisement')
	lab_expect "wire: v2 adverts captured" test -n "$adverts"
	lab_expect "wire: no v3 advert" lab_no_line_matches "$(lab_capture_text)" 'VRRPv3'
	lab_expect "wire: TTL 255" lab_all_lines_match "$adverts" 'ttl 255,'
	lab_expect "wire: checksums right" lab_no_line_matches "$adverts" 'bad vrrp cksum'
	lab_expect "wire: master adverts to 224.0.0.18, vrid 52, prio 150, intvl 1s" \
		lab_some_line_matches "$adverts" '10\.99\.0\.11 > 224\.0\.0\.18: VRRPv2, Advertisement, vrid 52, prio 150, authtype none, intvl 1s'
fi

bound=$(lab_add_ms "$(lab_master_down_ms $ADVERT_MS 100)" 1500)
kill -KILL "${LAB_PID[1]}"
if lab_wait_holder 2 $VIP 15000; then
	lab_expect_le "host 2 takes over after SIGKILL" "$LAB_WAITED_MS" "$bound"
else
	lab_fail "host 2 takes over after SIGKILL" "timed out"
fi
lab_wait_exit 1 2000

# Graceful: host 2 leaves with a priority-0 advert; host 3 takes over after its Skew_Time
# (0.8 s), well before its Master_Down_Interval (3.8 s).
bound=$(lab_master_down_ms $ADVERT_MS 50)
signalled=$(lab_now_us)
kill -TERM "${LAB_PID[2]}"
if lab_wait_holder 3 $VIP 15000; then
	lab_expect_le "host 3 takes over after SIGTERM of host 2" \
		"$(lab_ms_between "$signalled" "$(lab_now_us)")" "$bound"
else
	lab_fail "host 3 takes over after SIGTERM of host 2" "timed out"
fi
lab_wait_exit 2 2000
lab_expect_eq "host 2 exits 0" 0 "${LAB_RC[2]:-}"
lab_expect "host 2 removed the VIP" lab_host_lacks 2 $VIP

lab_stop_all TERM
lab_start_keepvip 1 "${common[@]}" KEEPVIP_PRIORITY=150
lab_wait_not_holder 1 $VIP 3000
lab_stop 1 TERM
lab_assert_no_holder "no VIP left after every daemon exited" $VIP
lab_finish
