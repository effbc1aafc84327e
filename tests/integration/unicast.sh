#!/usr/bin/env bash
# unicast.sh — KEEPVIP_PEERS (every host gets the same list; each drops its own address):
# adverts go to each peer's unicast address, never to 224.0.0.18, still with TTL 255.
# The highest priority wins, exactly one holder, SIGKILL fails over. Done with VRRPv3
# (100 ms) and then VRRPv2 (1 s, whole seconds as RFC 3768 §5.3.7 requires).
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init unicast "${1:-}"
lab_up 3

VIP=10.99.0.100
PEERS=10.99.0.11,10.99.0.12,10.99.0.13

# unicast_round VERSION ADVERT_MS VRID
unicast_round() {
	local version=$1 advert=$2 vrid=$3 wire=0 master bound adverts k
	local -a common=("KEEPVIP_VIPS=$VIP/24" "KEEPVIP_VRID=$vrid" "KEEPVIP_VRRP_VERSION=$version"
		"KEEPVIP_ADVERT_MS=$advert" "KEEPVIP_PEERS=$PEERS")
	local tag="v$version unicast"
	lab_capture_start "" && wire=1
	lab_start_trio "${common[@]}"

	master=$(lab_wait_settled $VIP $((advert * 10 + 3000)) $((advert * 5)))
	lab_expect_eq "$tag: highest priority holds the VIP" 1 "$master"
	lab_assert_single_holder "$tag: exactly one holder" $VIP 1

	if [ "$wire" = 1 ]; then
		lab_capture_stop
		adverts=$(lab_capture_text | grep -F "VRRPv$version, Advertisement")
		lab_expect "$tag wire: adverts captured" test -n "$adverts"
		lab_expect "$tag wire: none to 224.0.0.18" lab_no_line_matches "$adverts" '224\.0\.0\.18'
		lab_expect "$tag wire: TTL 255" lab_all_lines_match "$adverts" 'ttl 255,'
		lab_expect "$tag wire: checksums right" lab_no_line_matches "$adverts" 'bad vrrp cksum'
		for k in 2 3; do
			lab_expect "$tag wire: master advertises to host $k" \
				lab_some_line_matches "$adverts" "10\\.99\\.0\\.11 > 10\\.99\\.0\\.1$k: VRRPv$version, Advertisement, vrid $vrid, prio 150"
		done
		lab_expect "$tag wire: master does not advertise to itself" \
			lab_no_line_matches "$adverts" '> 10\.99\.0\.11: VRRP'
	fi

	bound=$(lab_add_ms "$(lab_master_down_ms "$advert" 100)" 1500)
	kill -KILL "${LAB_PID[1]}"
	if lab_wait_holder 2 $VIP $((advert * 20 + 5000)); then
		lab_expect_le "$tag: host 2 takes over after SIGKILL" "$LAB_WAITED_MS" "$bound"
	else
		lab_fail "$tag: host 2 takes over after SIGKILL" "timed out"
	fi
	lab_wait_exit 1 2000
	lab_expect "$tag: host 3 stays backup" lab_host_lacks 3 $VIP

	lab_stop_all TERM
	for k in 2 3; do
		lab_expect_eq "$tag: host $k exits 0" 0 "${LAB_RC[$k]:-}"
	done
	# Host 1 was SIGKILLed: its leftover is the only address expected; a restart clears it.
	lab_expect_eq "$tag: only the SIGKILLed host keeps a leftover" 1 "$(lab_holders $VIP)"
	lab_start_keepvip 1 "${common[@]}" KEEPVIP_PRIORITY=150
	lab_wait_not_holder 1 $VIP 2000
	lab_stop 1 TERM
	lab_assert_no_holder "$tag: no VIP left after restart and exit" $VIP
}

unicast_round 3 100 51
unicast_round 2 1000 52
lab_finish
