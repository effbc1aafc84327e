#!/usr/bin/env bash
# k8s_live.sh — three daemons as three pods of the keepvip DaemonSet take their peers and
# their node's priority from a fake Kubernetes API server (tests/adapters/lib/fake_api.py
# running scenarios/kubernetes.py) over HTTPS, and follow it live through the watch.
#
# The lab's hosts are three nodes: host K is 10.42.0.1K, its pod keepvip-node-K, its Node
# node-a, node-b, node-c (fixtures: node-a annotated keepvip.io/priority=200, node-b without,
# node-c with a bad value). The fake API runs in a fourth namespace (the switch) on
# 10.42.0.2:PORT with a CA made at start; each daemon gets the CA file and a token file, as a
# pod gets its service account's volume. Adverts every 100 ms.
#  1. start: host 1 (env priority 150, its node's annotation 200) holds the VIP and
#     advertises priority 200 to 10.42.0.12 and 10.42.0.13 only (unicast).
#  2. host 3's pod goes (SIGTERM to its daemon), then its DELETED event: hosts 1 and 2 log "peers changed: -10.42.0.13", host 1
#     stops advertising to it; the VIP never moves.
#  3. an ADDED event brings it back (and its daemon starts again, as backup): adverts to it
#     again; the VIP never moves.
#  4. node-a's annotation becomes 180: host 1 applies it in place and advertises 180; the VIP
#     never moves.
#  5. the API drops every request for 10 s: no peer, priority or state changes; adverts go on.
#  The token never appears in any daemon's log.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
# shellcheck source=lib/k8s_lab.sh
. "$(dirname "$0")/lib/k8s_lab.sh"
lab_init k8s_live "${1:-}"
LAB_IPV4_NET=10.42.0
lab_up 3

command -v curl >/dev/null || lab_cannot_run "curl (the fake server's controls) is not installed"
command -v openssl >/dev/null || lab_cannot_run "openssl (the fake API's CA) is not installed"
SERVER=10.42.0.2
VIP=10.42.0.100
TOKEN="eyJhbGciOiJSUzI1NiJ9.k8s-live-secret-token.c2lnbmF0dXJl"
APPLY_MS=2000
MAX_GAP_MS=400
OUTAGE_S=10

# ---- the fake API server, inside the lab --------------------------------------------------

lab_start_fake_api "$SERVER" kubernetes --tls-dir "$LAB_DIR/tls" --opt "token=$TOKEN" \
	--opt lists=kubernetes/pods-list-page1.json --opt max_page=2 \
	--opt nodes=kubernetes/node-a-priority.json+kubernetes/node-b-plain.json+kubernetes/node-c-bad-priority.json
PORT=$LAB_FAKE_PORT

control() {
	ip netns exec "$LAB_SWITCH" curl -sSf -m 5 --cacert "$LAB_DIR/tls/ca.pem" \
		"https://$SERVER:$PORT/_control/$1" >>"$LAB_DIR/control.log" 2>&1 ||
		lab_fail "control $1" "the fake server did not answer"
}

k8s_lab_pods                       # one pod per host: the peers
k8s_lab_service_account "$TOKEN"   # SA: the volume the kubelet writes

declare -A PRIORITY=([1]=150 [2]=100 [3]=50)
declare -A NODE=([1]=node-a [2]=node-b [3]=node-c)
common=(KEEPVIP_ORCHESTRATOR=kubernetes "KUBERNETES_SERVICE_HOST=$SERVER"
	"KUBERNETES_SERVICE_PORT=$PORT" "KEEPVIP_K8S_TOKEN_FILE=$SA/token"
	"KEEPVIP_K8S_CA_FILE=$SA/ca.crt" "KEEPVIP_VIPS=$VIP/24" KEEPVIP_ADVERT_MS=100)
start_host() {
	lab_start_keepvip "$1" "${common[@]}" "KEEPVIP_PRIORITY=${PRIORITY[$1]}" \
		"POD_NAME=keepvip-node-$1" "NODE_NAME=${NODE[$1]}"
}

prios_to() {
	lab_advert_lines 10.42.0.11 "$@" | sed -nE 's/.*, prio ([0-9]+),.*/\1/p' | sort -u | tr '\n' ' '
}

wire=0
lab_capture_start "" && wire=1

# ---- 1. start ------------------------------------------------------------------------------

lab_start_three_on_1 $VIP "node-a annotated 200"
for k in 1 2 3; do
	lab_expect "host $k runs the kubernetes adapter" lab_log_has $k 'adapter kubernetes'
done
lab_expect "host 1 takes its node's annotation" lab_log_has 1 'keepvip.io/priority=200'
lab_expect "host 3 says its node's annotation is bad" lab_log_has 3 'node node-c: .*keepvip.io/priority'
t_start=$(lab_now_us)
lab_sleep_ms 1000
t_started=$(lab_now_us)

# ---- 2. DELETED ----------------------------------------------------------------------------

lab_mark_logs 1 2 3
lab_stop 3 TERM # the pod goes: its daemon gets SIGTERM, then the API says DELETED
lab_expect_eq "host 3 (backup) exits 0 on SIGTERM" 0 "${LAB_RC[3]:-}"
control "delete?name=keepvip-node-3"
t_del=$(lab_now_us)
for k in 1 2; do
	if lab_wait_log_after $k "${LAB_MARK[$k]}" 'peers changed: -10\.42\.0\.13$' $APPLY_MS; then
		lab_expect_le "host $k logs peers changed: -10.42.0.13" "$LAB_WAITED_MS" $APPLY_MS
	else
		lab_fail "host $k logs peers changed: -10.42.0.13" "not within $APPLY_MS ms"
	fi
done
t_removed=$(lab_now_us)
lab_sleep_ms 1500

# ---- 3. ADDED ------------------------------------------------------------------------------

lab_mark_logs 1 2 3
t_readd=$(lab_now_us)
control "add?name=keepvip-node-3&ip=10.42.0.13"
for k in 1 2; do
	if lab_wait_log_after $k "${LAB_MARK[$k]}" 'peers changed: \+10\.42\.0\.13$' $APPLY_MS; then
		lab_expect_le "host $k logs peers changed: +10.42.0.13" "$LAB_WAITED_MS" $APPLY_MS
	else
		lab_fail "host $k logs peers changed: +10.42.0.13" "not within $APPLY_MS ms"
	fi
done
t_added=$(lab_now_us)
start_host 3 # the replacement pod's daemon
lab_sleep_ms 1500
lab_expect "host 3 came back as backup" lab_log_lacks 3 '-> MASTER'

# ---- 4. the node annotation changes --------------------------------------------------------

lab_mark_logs 1 2 3
t_annot=$(lab_now_us)
control "annotate?node=node-a&value=180"
if lab_wait_log_after 1 "${LAB_MARK[1]}" 'adapter settings: settings reloaded in place' $APPLY_MS; then
	lab_pass "host 1 applies priority 180 in place (${LAB_WAITED_MS} ms)"
else
	lab_fail "host 1 applies priority 180 in place" "not within $APPLY_MS ms"
fi
t_applied=$(lab_now_us)
lab_sleep_ms 1500
lab_expect "host 1 stayed MASTER through the new priority" lab_log_lacks_after 1 "${LAB_MARK[1]}" 'MASTER -> '

# ---- 5. the API down for 10 s ---------------------------------------------------------------

lab_mark_logs 1 2 3
t_down=$(lab_now_us)
control "down?seconds=$OUTAGE_S&mode=drop"
control "close_watches"
if out=$(lab_watch_holders $VIP $((OUTAGE_S * 1000 + 2000)) 1); then
	lab_pass "API down ${OUTAGE_S} s: the VIP stays on host 1 throughout"
else
	lab_fail "API down ${OUTAGE_S} s: the VIP stays on host 1 throughout" "$out"
fi
t_up=$(lab_now_us)
for k in 1 2 3; do
	lab_expect "host $k logs the API error, keeping its 2 peers" lab_log_has_after $k "${LAB_MARK[$k]}" \
		'kubernetes: .*keeping 2 known peers, retrying in [0-9]+ ms'
	lab_expect "host $k keeps its peers through the outage" lab_log_lacks_after $k "${LAB_MARK[$k]}" 'peers changed'
	lab_expect "host $k keeps its state through the outage" lab_log_lacks_after $k "${LAB_MARK[$k]}" ' -> '
	lab_expect "host $k: the token in no log line" lab_log_lacks $k 'k8s-live-secret-token'
done
lab_sample_holders_stop
lab_expect_sole_holder_sampled 1 200

# ---- the wire --------------------------------------------------------------------------------

if [ "$wire" = 1 ]; then
	t_end=$(lab_now_us)
	lab_capture_stop
	adverts=$(lab_capture_text | grep -F "VRRPv3, Advertisement")
	lab_expect "wire: adverts captured" test -n "$adverts"
	lab_expect "wire: none to 224.0.0.18 (unicast to the pods)" \
		lab_no_line_matches "$adverts" '224\.0\.0\.18'
	for peer in 10.42.0.12 10.42.0.13; do
		gap=$(lab_max_advert_gap_ms 10.42.0.11 $peer "$t_start" "$t_started")
		lab_expect_le "wire: adverts to $peer at start (longest gap)" "$gap" $MAX_GAP_MS
	done
	lab_expect_eq "wire: host 1 advertises its node's priority 200" "200 " \
		"$(prios_to 10.42.0.12 "$t_start" "$t_annot")"
	late=$(lab_count_adverts 10.42.0.11 10.42.0.13 "$((t_removed + 150000))" "$t_readd")
	lab_expect_eq "wire: no advert to 10.42.0.13 once its pod is deleted" 0 "$late"
	gap=$(lab_max_advert_gap_ms 10.42.0.11 10.42.0.12 "$t_del" "$t_readd")
	lab_expect_le "wire: adverts to 10.42.0.12 meanwhile (longest gap)" "$gap" $MAX_GAP_MS
	gap=$(lab_max_advert_gap_ms 10.42.0.11 10.42.0.13 "$((t_added + 150000))" "$t_annot")
	lab_expect_le "wire: adverts to 10.42.0.13 again once its pod is added (longest gap)" "$gap" $MAX_GAP_MS
	lab_expect_eq "wire: host 1 advertises 180 once the annotation says so" "180 " \
		"$(prios_to 10.42.0.12 "$((t_applied + 150000))" "$t_end")"
	for peer in 10.42.0.12 10.42.0.13; do
		gap=$(lab_max_advert_gap_ms 10.42.0.11 $peer "$t_down" "$t_up")
		lab_expect_le "wire: adverts to $peer through the API outage (longest gap)" "$gap" $MAX_GAP_MS
	done
fi

for k in 1 2 3; do
	lab_expect "host $k daemon still running" lab_is_running $k
done
lab_stop_all_clean $VIP 1 2 3
lab_finish
