#!/usr/bin/env bash
# vrid_conflict.sh — another team's VRRP group on our VRID (issue: "VRID collisions").
# keepvip on hosts 1 and 2 hold 10.99.0.100 on VRID 51 (multicast, v3). keepalived 2.2.7 on
# host 3 starts another group on VRID 51 with 10.99.0.200 at priority 200. RFC 5798 §7.1:
# an advert whose addresses are not ours, not from the address owner (priority 255), is
# dropped. Before the fix host 1 stepped down ("higher priority 200 from 10.99.0.13") and
# nobody held 10.99.0.100. Now: our VIP stays held by host 1 alone, no keepvip changes
# state, the conflict is logged once (not once per advert) with the sender and the addresses
# it claims, counted as vrid_conflict, and shown in /status and keepvip_vrid_conflict.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
# shellcheck source=lib/keepalived.sh
. "$(dirname "$0")/lib/keepalived.sh"
lab_init vrid_conflict "${1:-}"
ka_has_binary || lab_cannot_run "keepalived is not installed ($KA_BIN)"
lab_up 3

VIP=10.99.0.100
OTHER=10.99.0.200
PORT=9650
common=("KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=51 KEEPVIP_ADVERT_MS=100 KEEPVIP_MODE=multicast)
lab_start_keepvip 1 "${common[@]}" KEEPVIP_PRIORITY=150 "KEEPVIP_STATUS_ADDR=127.0.0.1:$PORT"
lab_start_keepvip 2 "${common[@]}" KEEPVIP_PRIORITY=100
lab_require_master_1 $VIP 5000 1000

mark1=$(lab_log_length 1)
mark2=$(lab_log_length 2)
ka_write_conf 3 51 200 1000 3 "$OTHER/24"
ka_start 3
# keepalived's own election (it drops our adverts, whose addresses are not its own) and a
# few of its adverts at 1 s
if lab_wait_holder 3 $OTHER 10000; then
	lab_pass "keepalived on host 3 holds its own VIP $OTHER"
else
	lab_fail "keepalived on host 3 holds its own VIP $OTHER" "not within 10 s"
fi
lab_sleep_ms 4000

lab_assert_single_holder "host 1 still holds $VIP alone" $VIP 1
lab_expect "host 1 changed no state" lab_log_lacks_after 1 "$mark1" ' -> '
lab_expect "host 2 changed no state" lab_log_lacks_after 2 "$mark2" ' -> '
conflict_re="VRID 51 conflict: advert from 10\\.99\\.0\\.13 \\(priority 200\\) claims 10\\.99\\.0\\.200, not our 10\\.99\\.0\\.100: another VRRP group uses this VRID; dropped"
lab_expect "host 1 logged the conflict with the sender and the addresses it claims" \
	lab_log_has_after 1 "$mark1" "$conflict_re"
lines=$(tail -n "+$((mark1 + 1))" "$LAB_DIR/host1.log" | grep -c 'conflict')
lab_expect_eq "host 1 logged it once, not once per advert" 1 "$lines"

status=$(ip netns exec "$(lab_host_ns 1)" python3 - "$PORT" <<'PY'
import json, re, sys, urllib.request
port = sys.argv[1]
def get(path):
    return urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5).read().decode()
inst = json.loads(get("/status"))["instances"][0]
c = inst["vrid_conflict"] or {}
metric = re.search(r'^keepvip_vrid_conflict\{instance="VI_51",vrid="51"\} (\d+)$', get("/metrics"), re.M)
print(c.get("from"), ",".join(c.get("addresses", [])), inst["counters"]["rejects"]["vrid_conflict"] > 0,
      metric.group(1) if metric else "none")
PY
)
lab_expect_eq "/status and /metrics show the conflict (from, addresses, counted, gauge)" \
	"10.99.0.13 10.99.0.200 True 1" "$status"

ka_stop 3 TERM
lab_stop_all_clean $VIP 1 2
lab_finish
