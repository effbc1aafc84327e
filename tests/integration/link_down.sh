#!/usr/bin/env bash
# link_down.sh — link tracking (DESIGN "Behaviour": interface down means FAULT). Two ways the
# master's link goes away:
#  1. administratively: `ip link set eth0 down` in the master's namespace;
#  2. carrier loss: the switch port (the veth's other end) goes down, eth0 stays up but has
#     no carrier.
# Each time the master goes to FAULT and drops the VIP; it cannot say goodbye (no link), so the
# next priority takes the VIP within its Master_Down_Interval (RFC 5798 §6.1) plus a margin.
# When the link comes back the master goes FAULT -> BACKUP, holds an election and, with
# preempt, takes the VIP back; exactly one host holds it once settled.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init link_down "${1:-}"
lab_up 3

VIP=10.99.0.100
ADVERT_MS=100
MARGIN_MS=1500
common=("KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=51 KEEPVIP_VRRP_VERSION=3 "KEEPVIP_ADVERT_MS=$ADVERT_MS"
	KEEPVIP_PREEMPT=true)

lab_start_trio "${common[@]}"

lab_require_master_1 $VIP 5000 1000

h1=$(lab_host_ns 1)

# link_cycle TAG DOWN_CMD... -- UP_CMD...: takes host 1's link away and back, checking the
# failover and the return.
link_cycle() {
	local tag=$1 bound mark1 mark2 mark3 master_now
	shift
	local -a down=() up=()
	while [ "$1" != -- ]; do
		down+=("$1")
		shift
	done
	shift
	up=("$@")

	mark1=$(lab_log_length 1)
	mark2=$(lab_log_length 2)
	mark3=$(lab_log_length 3)
	bound=$(lab_add_ms "$(lab_master_down_ms $ADVERT_MS 100)" $MARGIN_MS)
	"${down[@]}" || lab_die "$tag: ${down[*]} failed"
	if lab_wait_holder 2 $VIP 10000; then
		lab_expect_le "$tag: host 2 takes the VIP" "$LAB_WAITED_MS" "$bound"
	else
		lab_fail "$tag: host 2 takes the VIP" "not within 10 s"
	fi
	if lab_wait_not_holder 1 $VIP 2000; then
		lab_pass "$tag: host 1 dropped the VIP"
	else
		lab_fail "$tag: host 1 dropped the VIP" "still on eth0 2 s after host 2 took it"
	fi
	lab_expect "$tag: host 1 logged MASTER -> FAULT (interface eth0 down)" \
		lab_log_has_after 1 "$mark1" 'MASTER -> FAULT: .*interface eth0 down'
	lab_expect "$tag: host 2 logged BACKUP -> MASTER" lab_log_has_after 2 "$mark2" 'BACKUP -> MASTER'
	if out=$(lab_watch_holders $VIP 1000 2); then
		lab_pass "$tag: while the link is down, host 2 alone holds the VIP"
	else
		lab_fail "$tag: while the link is down, host 2 alone holds the VIP" "$out"
	fi
	lab_expect "$tag: host 1 stays in FAULT while its link is down" \
		lab_log_lacks_after 1 "$mark1" 'FAULT -> '

	mark1=$(lab_log_length 1)
	mark2=$(lab_log_length 2)
	"${up[@]}" || lab_die "$tag: ${up[*]} failed"
	bound=$(lab_add_ms "$(lab_master_down_ms $ADVERT_MS 150)" $MARGIN_MS)
	if lab_wait_holder 1 $VIP 10000; then
		lab_expect_le "$tag: link back: host 1 takes the VIP back (preempt)" "$LAB_WAITED_MS" \
			"$bound"
	else
		lab_fail "$tag: link back: host 1 takes the VIP back (preempt)" "not within 10 s"
	fi
	master_now=$(lab_wait_settled $VIP 5000 1000)
	lab_expect_eq "$tag: exactly one holder, host 1, once settled" 1 "$master_now"
	lab_expect "$tag: host 1 logged FAULT -> BACKUP" lab_log_has_after 1 "$mark1" 'FAULT -> BACKUP'
	lab_expect "$tag: host 1 logged BACKUP -> MASTER" lab_log_has_after 1 "$mark1" 'BACKUP -> MASTER'
	lab_expect "$tag: host 2 logged MASTER -> BACKUP" lab_log_has_after 2 "$mark2" 'MASTER -> BACKUP'
	lab_expect "$tag: host 3 (prio 50) stayed backup" lab_log_lacks_after 3 "$mark3" '-> MASTER'
}

link_cycle "admin down" ip -n "$h1" link set eth0 down -- ip -n "$h1" link set eth0 up
link_cycle "carrier loss" ip -n "$LAB_SWITCH" link set p1 down -- ip -n "$LAB_SWITCH" link set p1 up

for k in 1 2 3; do
	lab_expect "host $k daemon still running" lab_is_running $k
done
lab_stop_all_clean $VIP 1 2 3
lab_finish
