#!/usr/bin/env bash
# address_conflict_ipv6.sh — the address-conflict check for an IPv6 VIP (issue: "Address
# conflicts"). Host 3 is no VRRP router: it has fd99::100 on its eth0. keepvip on hosts 1
# (150) and 2 (100) send a neighbour solicitation from :: to the VIP's solicited-node address
# (RFC 4862 duplicate address detection) at start; host 3 answers with a neighbour
# advertisement to all-nodes: a conflict, logged with host 3's MAC and shown in /status; warn
# mode takes the VIP. Host 1's own answers to host 2's later probes are a peer's.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init address_conflict_ipv6 "${1:-}"
lab_up 3

VIP=fd99::100
PORT=9650
ns3=$(lab_host_ns 3)
ip -n "$ns3" addr add "$VIP/64" dev eth0 nodad || lab_die "cannot add $VIP on host 3"
mac() { ip -n "$(lab_host_ns "$1")" -br link show eth0 | awk '{ print $3 }'; }
mac1=$(mac 1)
mac3=$(mac 3)

common=("KEEPVIP_VIPS=$VIP/64" KEEPVIP_VRID=51 KEEPVIP_ADVERT_MS=100 KEEPVIP_MODE=multicast
	KEEPVIP_CONFLICT_CHECK_S=2)
lab_start_keepvip 1 "${common[@]}" KEEPVIP_PRIORITY=150 "KEEPVIP_STATUS_ADDR=127.0.0.1:$PORT"
lab_start_keepvip 2 "${common[@]}" KEEPVIP_PRIORITY=100
if lab_wait_holder 1 $VIP 5000; then
	lab_pass "warn mode: host 1 takes the IPv6 VIP although host 3 holds it"
else
	lab_fail "warn mode: host 1 takes the IPv6 VIP although host 3 holds it" "not within 5 s"
fi
conflict_re="address conflict: fd99::100 is answered for by $mac3, not us and no VRRP peer"
if lab_wait_log_after 1 0 "$conflict_re" 5000; then
	lab_pass "host 1 logged the conflict with host 3's MAC $mac3"
else
	lab_fail "host 1 logged the conflict with host 3's MAC $mac3" "$(grep -i conflict "$LAB_DIR/host1.log")"
fi
lab_sleep_ms 4500
lab_expect "host 2 never takes its master (host 1, a peer) for another holder" \
	lab_log_lacks 2 "answered for by $mac1"
status=$(ip netns exec "$(lab_host_ns 1)" python3 - "$PORT" <<'PY'
import json, sys, urllib.request
inst = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/status", timeout=5).read())["instances"][0]
c = inst["address_conflict"] or {}
print(c.get("address"), c.get("mac"), inst["counters"]["address_conflicts"] > 0)
PY
)
lab_expect_eq "/status shows the conflict" "$VIP $mac3 True" "$status"
ip -n "$ns3" addr del "$VIP/64" dev eth0
lab_stop_all_clean $VIP 1 2
lab_finish
