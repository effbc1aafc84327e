#!/usr/bin/env bash
# address_conflict_warn.sh — a lab host already holds the VIP when keepvip starts (issue:
# "Address conflicts", warn mode, the default). Host 3 is no VRRP router: it has 10.99.0.100
# on its eth0 and answers ARP for it. keepvip on hosts 1 (priority 150) and 2 (100) probe at
# start (RFC 5227 ARP probe) and every KEEPVIP_CONFLICT_CHECK_S=2 s while master; host 3's
# answer comes from a MAC that is neither theirs nor a VRRP peer's: a conflict, logged with
# that MAC, counted, shown in /status and /metrics. Warn mode takes the VIP all the same. The
# master's answers to host 2's probes are a peer's: never a conflict. When host 3 drops the
# address, the next probe round finds nobody and the conflict is over.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init address_conflict_warn "${1:-}"
lab_up 3

VIP=10.99.0.100
PORT=9650
ns3=$(lab_host_ns 3)
ip -n "$ns3" addr add "$VIP/24" dev eth0 || lab_die "cannot add $VIP on host 3"
mac() { ip -n "$(lab_host_ns "$1")" -br link show eth0 | awk '{ print $3 }'; }
mac1=$(mac 1)
mac3=$(mac 3)

common=("KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=51 KEEPVIP_ADVERT_MS=100 KEEPVIP_MODE=multicast
	KEEPVIP_CONFLICT_CHECK_S=2)
lab_start_keepvip 1 "${common[@]}" KEEPVIP_PRIORITY=150 "KEEPVIP_STATUS_ADDR=127.0.0.1:$PORT"
lab_start_keepvip 2 "${common[@]}" KEEPVIP_PRIORITY=100
if lab_wait_holder 1 $VIP 5000; then
	lab_pass "warn mode: host 1 takes the VIP although host 3 holds it"
else
	lab_fail "warn mode: host 1 takes the VIP although host 3 holds it" "not within 5 s"
fi
conflict_re="address conflict: 10\\.99\\.0\\.100 is answered for by $mac3, not us and no VRRP peer: another host holds it; taking it all the same \\(conflict_action warn\\)"
if lab_wait_log_after 1 0 "$conflict_re" 5000; then
	lab_pass "host 1 logged the conflict with host 3's MAC $mac3"
else
	lab_fail "host 1 logged the conflict with host 3's MAC $mac3" "$(grep -i conflict "$LAB_DIR/host1.log")"
fi
# a few rounds of probes while master (every 2 s)
lab_sleep_ms 4500
lines=$(grep -c 'address conflict: ' "$LAB_DIR/host1.log")
lab_expect_le "host 1 logs the ongoing conflict rate-limited ($lines lines)" "$lines" 3
lab_expect "host 2 never takes its master (host 1, a peer) for another holder" \
	lab_log_lacks 2 "answered for by $mac1"
lab_expect "host 1 stays master" lab_log_lacks 1 'MASTER -> '

metrics() {
	ip netns exec "$(lab_host_ns 1)" python3 - "$PORT" <<'PY'
import json, re, sys, urllib.request
port = sys.argv[1]
def get(path):
    return urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5).read().decode()
inst = json.loads(get("/status"))["instances"][0]
c = inst["address_conflict"] or {}
m = get("/metrics")
gauge = re.search(r'^keepvip_address_conflict\{instance="VI_51",vrid="51"\} (\d+)$', m, re.M)
total = re.search(r'^keepvip_address_conflicts_total\{instance="VI_51"\} (\d+)$', m, re.M)
probes = re.search(r'^keepvip_conflict_probes_total\{instance="VI_51"\} (\d+)$', m, re.M)
print(c.get("address"), c.get("mac"), c.get("action"), inst["state"],
      inst["counters"]["address_conflicts"] > 0,
      gauge.group(1) if gauge else "none",
      int(total.group(1)) > 0 if total else "none",
      int(probes.group(1)) >= 3 if probes else "none")
PY
}
lab_expect_eq "/status and /metrics show the conflict (address, MAC, action, state, counted, gauge, counter, probes)" \
	"$VIP $mac3 warn MASTER True 1 True True" "$(metrics)"

mark=$(lab_log_length 1)
ip -n "$ns3" addr del "$VIP/24" dev eth0
if lab_wait_log_after 1 "$mark" 'address conflict over: nobody else answered for 10\.99\.0\.100' 5000; then
	lab_pass "host 3 dropped the VIP: the next probe round ends the conflict (${LAB_WAITED_MS} ms)"
else
	lab_fail "host 3 dropped the VIP: the next probe round ends the conflict" "not within 5 s"
fi
lab_expect_eq "/status and /metrics show no conflict any more" \
	"None None None MASTER True 0 True True" "$(metrics)"

lab_stop_all_clean $VIP 1 2
lab_finish
