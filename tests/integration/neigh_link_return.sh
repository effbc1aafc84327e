#!/usr/bin/env bash
# neigh_link_return.sh — a master whose carrier comes back does not leave two masters behind a
# neighbour entry stuck on the dead link (found by the chaos harness, tests/chaos/).
#
# Unicast, two hosts. If the master sends a routine advert in the few ms between losing
# carrier and noticing it, the kernel's neighbour entry for the peer goes INCOMPLETE on the
# dead link and is retried once a second (retrans_time). When the link returns and the host
# preempts, its adverts wait in that entry until the next retry: host 2 does not hear them and
# stays master too, for up to a second. keepvip forgets the peers' unusable neighbour entries
# when it sees its link come back, so its first advert resolves at once.
#
# The send in the window is made deterministic here: right after the carrier goes (switch
# port down), one packet to the peer from host 1's namespace (a ping, as the advert would be)
# leaves the entry INCOMPLETE — checked, or the scenario proves nothing. The carrier returns
# 1.1 s after that send (just after the kernel's retry at 1 s: the next one is 0.9 s away).
# Then two holders may last only as long as the handover itself (bound 150 ms; without the
# fix ~550 ms: host 1 preempts after its Master_Down_Interval, 341 ms, and waits until 2 s).
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init neigh_link_return "${1:-}"
lab_up 2
command -v ping >/dev/null || lab_cannot_run "ping (iputils-ping) is not installed"

VIP=10.99.0.100
ADVERT_MS=100
BOUND_MS=150
PEER2=$(lab_host_ipv4 2)
common=("KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=51 KEEPVIP_VRRP_VERSION=3 "KEEPVIP_ADVERT_MS=$ADVERT_MS"
	KEEPVIP_PREEMPT=true "KEEPVIP_PEERS=$(lab_host_ipv4 1),$PEER2")
lab_start_keepvip 1 "${common[@]}" KEEPVIP_PRIORITY=150
lab_start_keepvip 2 "${common[@]}" KEEPVIP_PRIORITY=100
lab_require_master_1 $VIP 5000 1000
h1=$(lab_host_ns 1)

carrier_loss_handled() { ip -n "$h1" -o link show eth0 | grep -q 'state DOWN'; }
neigh_state() { ip -n "$h1" neigh show "$PEER2" dev eth0 | awk '{ print $NF }'; }

# cycle N: one carrier loss with a send in the window, and the return.
cycle() {
	local n=$1 t_send t_up holders dual_from="" dual_ms=0 mark1 now
	mark1=$(lab_log_length 1)
	ip -n "$h1" neigh del "$PEER2" dev eth0 2>/dev/null
	ip -n "$LAB_SWITCH" link set p1 down || lab_die "carrier off failed"
	# The kernel flushes the device's neighbour entries when it handles the carrier loss,
	# which linkwatch may defer by up to a second: a send before that makes an entry the
	# flush then removes. Send once the operational state says the carrier loss was handled.
	local waited=0
	until carrier_loss_handled; do
		[ "$waited" -lt 2000 ] || { lab_fail "cycle $n: host 1's eth0 goes operationally DOWN" "not within 2 s"; break; }
		sleep 0.01
		waited=$((waited + 10))
	done
	t_send=$(lab_now_us)
	ip netns exec "$h1" ping -c 1 -W 0.1 "$PEER2" >/dev/null 2>&1
	lab_expect_eq "cycle $n: the send while the carrier is gone left the entry INCOMPLETE" \
		INCOMPLETE "$(neigh_state)"
	lab_wait_holder 2 $VIP 3000 || lab_fail "cycle $n: host 2 takes the VIP" "not within 3 s"
	lab_sleep_ms $((1100 - ($(lab_now_us) - t_send) / 1000))
	lab_expect_eq "cycle $n: still INCOMPLETE when the carrier returns" INCOMPLETE "$(neigh_state)"
	ip -n "$LAB_SWITCH" link set p1 up || lab_die "carrier on failed"
	t_up=$(lab_now_us)
	# until host 1 alone holds the VIP: the longest spell with both holding
	while :; do
		holders=$(lab_holders $VIP)
		now=$(lab_now_us)
		if [ "$holders" = "1 2" ]; then
			[ -n "$dual_from" ] || dual_from=$now
		elif [ -n "$dual_from" ]; then
			[ $(((now - dual_from) / 1000)) -le "$dual_ms" ] || dual_ms=$(((now - dual_from) / 1000))
			dual_from=""
		fi
		[ "$holders" != 1 ] || break
		if [ $(((now - t_up) / 1000)) -ge 5000 ]; then
			lab_fail "cycle $n: host 1 alone holds the VIP again" "holders '$holders' 5 s after the carrier returned"
			break
		fi
		sleep 0.005
	done
	echo "cycle $n: host 1 alone again $(((now - t_up) / 1000)) ms after the carrier returned; two holders for $dual_ms ms"
	lab_expect_le "cycle $n: two holders after the carrier returned" "$dual_ms" "$BOUND_MS"
	lab_expect "cycle $n: host 1 logged the forgotten entry" \
		lab_log_has_after 1 "$mark1" 'unresolved peer neighbour entr'
	lab_wait_settled $VIP 3000 500 >/dev/null
}

for n in 1 2 3; do cycle "$n"; done
lab_finish
