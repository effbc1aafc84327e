#!/usr/bin/env bash
# handover_term.sh — SIGTERM of the master: it sends a priority-0 advert (RFC 5798 §6.4.3
# "Shutdown"), removes the VIP and exits 0 within a second; the backup with the highest
# priority takes over after Skew_Time (§6.4.2), long before Master_Down_Interval.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init handover_term "${1:-}"
lab_up 3

VIP=10.99.0.100
ADVERT_MS=100
common=("KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=51 KEEPVIP_VRRP_VERSION=3 "KEEPVIP_ADVERT_MS=$ADVERT_MS")
wire=0
lab_capture_start "" && wire=1

lab_start_trio "${common[@]}"

lab_require_master_1 $VIP 5000 1000

# A handover through the priority-0 advert beats Master_Down_Interval; a daemon that just
# vanished would be caught only at Master_Down_Interval. The bound tells the two apart.
mark3=$(lab_log_length 3)
skew=$(lab_skew_ms $ADVERT_MS 100)
bound=$(lab_master_down_ms $ADVERT_MS 100)
signalled=$(lab_now_us)
kill -TERM "${LAB_PID[1]}"
if lab_wait_holder 2 $VIP 5000; then
	lab_expect_le "host 2 takes over after SIGTERM (Skew_Time $skew ms)" "$LAB_WAITED_MS" "$bound"
else
	lab_fail "host 2 takes over after SIGTERM" "not within 5 s"
fi
if lab_wait_exit 1 1500; then
	lab_expect_le "host 1 exits within 1 s of SIGTERM" \
		"$(lab_ms_between "$signalled" "${LAB_EXIT_US[1]}")" 1000
	lab_expect_eq "host 1 exits 0" 0 "${LAB_RC[1]}"
else
	lab_fail "host 1 exits within 1 s of SIGTERM" "still running after 1.5 s"
fi
lab_expect "host 1 removed the VIP" lab_host_lacks 1 $VIP
master=$(lab_wait_settled $VIP 3000 1000)
lab_expect_eq "host 2 holds the VIP alone" 2 "$master"
lab_expect "host 3 (prio 50) stays backup" lab_log_lacks_after 3 "$mark3" '-> MASTER'

if [ "$wire" = 1 ]; then
	lab_capture_stop
	adverts=$(lab_capture_text | grep -F 'VRRPv3, Advertisement')
	lab_expect "wire: host 1 sent a priority-0 advert" \
		lab_some_line_matches "$adverts" '10\.99\.0\.11 > 224\.0\.0\.18: VRRPv3, Advertisement, vrid 51, prio 0,'
	lab_expect "wire: host 2 advertises as master, prio 100" \
		lab_all_lines_match "$(printf '%s\n' "$adverts" | tail -n 3)" '10\.99\.0\.12 > .*prio 100,'
fi

lab_stop_all TERM
lab_assert_no_holder "no VIP left after every daemon exited" $VIP
lab_finish
