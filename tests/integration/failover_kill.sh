#!/usr/bin/env bash
# failover_kill.sh — SIGKILL of the master (no goodbye advert): the next priority takes the VIP
# within Master_Down_Interval (RFC 5798 §6.1, computed for its priority) plus a generous margin.
# The killed daemon cannot clean up, so its VIP stays on its interface until it is restarted;
# a restarted daemon removes that leftover before the election (DESIGN "Behaviour"), then,
# with preempt, takes the VIP back, and exactly one host holds it.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init failover_kill "${1:-}"
lab_up 3

VIP=10.99.0.100
ADVERT_MS=100
MARGIN_MS=1500
common=("KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=51 KEEPVIP_VRRP_VERSION=3 "KEEPVIP_ADVERT_MS=$ADVERT_MS"
	KEEPVIP_PREEMPT=true)
host1=("${common[@]}" KEEPVIP_PRIORITY=150)

lab_start_keepvip 1 "${host1[@]}"
lab_start_keepvip 2 "${common[@]}" KEEPVIP_PRIORITY=100
lab_start_keepvip 3 "${common[@]}" KEEPVIP_PRIORITY=50

lab_require_master_1 $VIP 5000 1000

# SIGKILL: measured from the signal to the VIP on host 2.
mark3=$(lab_log_length 3)
bound=$(lab_add_ms "$(lab_master_down_ms $ADVERT_MS 100)" $MARGIN_MS)
mark2=$(lab_log_length 2)
kill -KILL "${LAB_PID[1]}"
if lab_wait_holder 2 $VIP 10000; then
	lab_expect_le "host 2 takes the VIP after SIGKILL of the master" "$LAB_WAITED_MS" "$bound"
else
	lab_fail "host 2 takes the VIP after SIGKILL of the master" "not within 10 s"
fi
lab_wait_exit 1 2000
lab_expect_eq "killed daemon died of SIGKILL" 137 "${LAB_RC[1]:-}"
lab_expect "host 2 logged BACKUP -> MASTER" lab_log_has_after 2 "$mark2" 'BACKUP -> MASTER'
lab_expect "host 3 (prio 50) stays backup" lab_log_lacks_after 3 "$mark3" '-> MASTER'
lab_expect "after SIGKILL the VIP is left behind on host 1" lab_host_holds 1 $VIP
lab_expect "host 3 does not hold the VIP" lab_host_lacks 3 $VIP

# Restart host 1: it first drops the leftover VIP (the election has not made it master yet:
# it waits at least Master_Down_Interval as backup), then preempts host 2.
mark2=$(lab_log_length 2)
lab_start_keepvip 1 "${host1[@]}"
if lab_wait_not_holder 1 $VIP 2000; then
	lab_pass "restarted daemon removes the leftover VIP before the election (${LAB_WAITED_MS} ms)"
else
	lab_fail "restarted daemon removes the leftover VIP before the election" \
		"host 1 kept the VIP for 2 s after restart"
fi
master=$(lab_wait_settled $VIP 5000 1000)
lab_expect_eq "with preempt, the restarted host 1 takes the VIP back" 1 "$master"
lab_assert_single_holder "exactly one holder after the restart" $VIP 1
lab_expect "host 2 logged MASTER -> BACKUP" lab_log_has_after 2 "$mark2" 'MASTER -> BACKUP'

lab_stop_all_clean $VIP 1 2 3
lab_finish
