#!/usr/bin/env bash
# address_conflict_refuse.sh — a lab host already holds the VIP when keepvip starts, and
# KEEPVIP_CONFLICT_ACTION=refuse (issue: "Address conflicts", refuse mode). Host 3 is no VRRP
# router: it has 10.99.0.100 on its eth0 and answers ARP for it. keepvip on hosts 1 (150) and
# 2 (100) hear its answer to their start-up probes: neither takes the VIP while the conflict
# lasts, both stay BACKUP and say so, /status shows it. Host 3 drops the address: the next
# probe round (KEEPVIP_CONFLICT_CHECK_S=2) finds nobody, the conflict is over and host 1
# takes the VIP. Its answers to host 2's probes then are a peer's: no new conflict.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init address_conflict_refuse "${1:-}"
lab_up 3

VIP=10.99.0.100
PORT=9650
ns3=$(lab_host_ns 3)
ip -n "$ns3" addr add "$VIP/24" dev eth0 || lab_die "cannot add $VIP on host 3"
mac() { ip -n "$(lab_host_ns "$1")" -br link show eth0 | awk '{ print $3 }'; }
mac1=$(mac 1)
mac3=$(mac 3)

common=("KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=51 KEEPVIP_ADVERT_MS=100 KEEPVIP_MODE=multicast
	KEEPVIP_CONFLICT_CHECK_S=2 KEEPVIP_CONFLICT_ACTION=refuse)
lab_start_keepvip 1 "${common[@]}" KEEPVIP_PRIORITY=150 "KEEPVIP_STATUS_ADDR=127.0.0.1:$PORT"
lab_start_keepvip 2 "${common[@]}" KEEPVIP_PRIORITY=100
# Master_Down_Interval is about 0.35 s: 5 s is many of them
if lab_watch_holders $VIP 5000 3; then
	lab_pass "refuse mode: only host 3 holds the VIP for 5 s"
else
	lab_fail "refuse mode: only host 3 holds the VIP for 5 s" "$LAB_WHY"
fi
for h in 1 2; do
	lab_expect "host $h says it does not take the VIPs" \
		lab_log_has $h 'address conflict: not taking the VIPs while another host holds them \(conflict_action refuse\)'
	lab_expect "host $h logged host 3's MAC" \
		lab_log_has $h "10\\.99\\.0\\.100 is answered for by $mac3, not us and no VRRP peer: another host holds it; not taking it while the conflict lasts"
	lab_expect "host $h never became master" lab_log_lacks $h ' -> MASTER'
done

status() {
	ip netns exec "$(lab_host_ns 1)" python3 - "$PORT" <<'PY'
import json, re, sys, urllib.request
port = sys.argv[1]
def get(path):
    return urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5).read().decode()
inst = json.loads(get("/status"))["instances"][0]
c = inst["address_conflict"] or {}
gauge = re.search(r'^keepvip_address_conflict\{instance="VI_51",vrid="51"\} (\d+)$', get("/metrics"), re.M)
print(inst["state"], c.get("mac"), c.get("action"), c.get("refusing"), gauge.group(1) if gauge else "none")
PY
}
lab_expect_eq "/status shows BACKUP, the conflict, refusing; the gauge is 1" \
	"BACKUP $mac3 refuse True 1" "$(status)"

mark1=$(lab_log_length 1)
mark2=$(lab_log_length 2)
gone_us=$(lab_now_us)
ip -n "$ns3" addr del "$VIP/24" dev eth0
# the next round within 2 s, its settle one Master_Down_Interval later, then the election
if lab_wait_holders $VIP 1 8000; then
	lab_pass "host 3 dropped the VIP: host 1 takes it ($(lab_ms_between "$gone_us" "$(lab_now_us)") ms later)"
else
	lab_fail "host 3 dropped the VIP: host 1 takes it" "holders: $(lab_holders $VIP)"
fi
lab_expect "host 1 logged the end of the conflict" \
	lab_log_has_after 1 "$mark1" 'address conflict over: nobody else answered for 10\.99\.0\.100'
lab_expect "host 1 logged that the VIPs may be taken again" \
	lab_log_has_after 1 "$mark1" 'address conflict over: the VIPs may be taken again'
# host 2, backup in refuse mode, goes on probing: host 1 answers as a peer
lab_sleep_ms 4500
lab_expect "host 2 never takes host 1 (a peer) for another holder" \
	lab_log_lacks 2 "answered for by $mac1"
lab_assert_single_holder "host 1 alone holds the VIP" $VIP 1
lab_expect_eq "/status shows MASTER and no conflict; the gauge is 0" \
	"MASTER None None None 0" "$(status)"
lab_expect "host 2 stays out of the way" lab_log_lacks_after 2 "$mark2" 'not taking the VIPs'

lab_stop_all_clean $VIP 1 2
lab_finish
