#!/usr/bin/env bash
# split_brain_heal.sh — a partition of the switch makes two masters; when it heals, the
# higher master re-announces the VIP at once. Hosts 1 (priority 150) and 2 (100), multicast.
# The bridge isolates both ports (no carrier is lost: each host only stops hearing the
# other), host 2 takes the VIP too: both hold it, as they must. At the heal, host 1 hears
# host 2's lower-priority adverts: it advertises at once and sends its gratuitous ARPs again
# (keepalived's garp_lower_prio_repeat), since the hosts and switches of the segment may have
# learnt host 2's MAC for the VIP meanwhile; host 2 steps down. Whichever master hears the
# other first decides what happens at a heal: host 2 advertises every 20 ms and host 1 every
# 400 ms (VRRPv3 lets them differ), so that host 1 hears host 2 first.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init split_brain_heal "${1:-}"
lab_up 2

VIP=10.99.0.100
common=("KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=51 KEEPVIP_MODE=multicast)
wire=0
lab_capture_start "arp" && wire=1
lab_start_keepvip 1 "${common[@]}" KEEPVIP_PRIORITY=150 KEEPVIP_ADVERT_MS=400
lab_start_keepvip 2 "${common[@]}" KEEPVIP_PRIORITY=100 KEEPVIP_ADVERT_MS=20
# host 2 (20 ms) is master first; host 1 preempts after its Master_Down_Interval (1.37 s)
lab_wait_holders $VIP 1 5000 || lab_die "host 1 did not become the only holder: $LAB_WHY"
lab_pass "host 1 (prio 150) is master"
# the gratuitous ARP burst of becoming master (1 + 4 repeats, 1 s apart) is over before the
# partition, so that an ARP after the heal can only be the re-announce
lab_sleep_ms 4500

isolate() {
	ip netns exec "$LAB_SWITCH" bridge link set dev p1 isolated "$1" &&
		ip netns exec "$LAB_SWITCH" bridge link set dev p2 isolated "$1"
}
isolate on || lab_die "the bridge cannot isolate its ports (bridge link ... isolated)"
if lab_wait_holders $VIP "1 2" 5000; then
	lab_pass "partitioned: both hosts hold the VIP (two masters)"
else
	lab_fail "partitioned: both hosts hold the VIP (two masters)" "holders: $(lab_holders $VIP)"
fi
# Host 2 took over 3 x 400 + Skew_Time (244) = 1444 ms after host 1's last advert it heard,
# and host 1 goes on advertising every 400 ms: healing 756 ms later falls halfway between two
# of host 1's adverts, so host 2's next one (20 ms) surely reaches host 1 first.
lab_sleep_ms 756
mac1=$(ip -n "$(lab_host_ns 1)" -br link show eth0 | awk '{ print $3 }')
heal_us=$(lab_now_us)
isolate off || lab_die "the bridge cannot end the isolation"
if lab_wait_holders $VIP 1 3000; then
	lab_pass "healed: host 1 alone holds the VIP"
else
	lab_fail "healed: host 1 alone holds the VIP" "holders: $(lab_holders $VIP)"
fi
lab_expect "host 2 stepped down for host 1" lab_log_has 2 'MASTER -> BACKUP: higher priority 150 from 10\.99\.0\.11'
lab_sleep_ms 300
lab_stop_all_clean $VIP 1 2

if [ "$wire" = 1 ] && lab_capture_stop; then
	# gratuitous ARPs for the VIP from host 1's MAC after the heal, with their times
	first=$(tcpdump -r "$LAB_CAPTURE_FILE" -n -e -tt "arp and ether src $mac1" 2>/dev/null |
		awk -v vip="$VIP" -v t0="$heal_us" \
			'index($0, vip) && $1 * 1000000 >= t0 { printf "%.1f\n", ($1 * 1000000 - t0) / 1000; exit }')
	if [ -n "$first" ]; then
		# host 2's next advert reaches host 1 within 20 ms of the heal; the answer goes out
		# at once: a generous bound
		lab_expect_le "host 1 announced the VIP again right after the heal" "$first" 200
	else
		lab_fail "host 1 announced the VIP again right after the heal" \
			"no ARP for $VIP from $mac1 after the heal at $heal_us"
		tcpdump -r "$LAB_CAPTURE_FILE" -n -e -tt >&2 2>/dev/null
	fi
fi
lab_finish
