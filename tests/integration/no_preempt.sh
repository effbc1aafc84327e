#!/usr/bin/env bash
# no_preempt.sh — preempt false (RFC 5798 §6.4.2: "If Preempt_Mode is False ... reset the
# Master_Down_Timer"): a higher-priority host that comes back stays backup while the current
# master lives, and takes over only when that master leaves.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init no_preempt "${1:-}"
lab_up 2

VIP=10.99.0.100
common=("KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=51 KEEPVIP_VRRP_VERSION=3 KEEPVIP_ADVERT_MS=100
	KEEPVIP_PREEMPT=false)
host1=("${common[@]}" KEEPVIP_PRIORITY=150)

# Without preempt the first master keeps the VIP: start host 1 alone first.
lab_start_keepvip 1 "${host1[@]}"
lab_wait_holder 1 $VIP 5000
lab_start_keepvip 2 "${common[@]}" KEEPVIP_PRIORITY=100
lab_require_master_1 $VIP 5000 1000

lab_stop 1 TERM
master=$(lab_wait_settled $VIP 3000 500)
lab_expect_eq "host 2 takes over when host 1 leaves" 2 "$master"

# Host 1 returns with the higher priority: without preempt it must not take the VIP, for
# many Master_Down_Intervals.
mark2=$(lab_log_length 2)
mark1=$(lab_log_length 1)
lab_start_keepvip 1 "${host1[@]}"
if out=$(lab_watch_holders $VIP 3000 2); then
	lab_pass "returning higher priority stays backup for 3 s (8 Master_Down_Intervals)"
else
	lab_fail "returning higher priority stays backup" "$out"
fi
lab_expect "host 1 daemon still running" lab_is_running 1
lab_expect "host 2 never gave the VIP up" lab_log_lacks_after 2 "$mark2" 'MASTER -> '
lab_expect "host 1 never became master while host 2 lived" lab_log_lacks_after 1 "$mark1" '-> MASTER'

# Once host 2 leaves, host 1 takes over again.
lab_stop 2 TERM
master=$(lab_wait_settled $VIP 3000 500)
lab_expect_eq "host 1 takes over when host 2 leaves" 1 "$master"

lab_stop_all TERM
lab_assert_no_holder "no VIP left after every daemon exited" $VIP
lab_finish
