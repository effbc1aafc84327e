#!/usr/bin/env bash
# rancher_live.sh — three daemons take their peers (and VRID, check) from a fake
# rancher-metadata (tests/adapters/lib/fake_api.py running scenarios/rancher.py, which replays
# ../shared/fixtures/rancher) and
# follow it live (DESIGN "Behaviour": peers change at run time without moving the VIP; an
# adapter that cannot reach its API keeps the last known peers and retries with backoff).
#
# The lab's hosts are the fixtures' nodes: host K is 10.42.0.1K (node-a, node-b, node-c,
# service keepvip/keepvip). The fake server runs in the switch namespace on 10.42.0.2 and
# answers /self/host by the client's address, as the real one answers per host. The service
# metadata sets vrid 51, advert_ms 1000 and check_port 80: the daemons' env sets 100 ms adverts
# (env outranks the adapter), and each host runs a listener on 127.0.0.1:80 (the "load
# balancer" the check connects to).
#  1. start: unicast (auto mode, peers known) to the two others, never to 224.0.0.18, VRID 51;
#     `keepvip peers` prints each host's view; host 1 (priority 150) holds the VIP.
#  2. node-c's container stops (its daemon gets SIGTERM, then metadata says "stopped"): hosts
#     1 and 2 log "peers changed: -10.42.0.13", host 1 stops advertising to it; the VIP
#     never leaves host 1.
#  3. node-c's container starts again: "+10.42.0.13", adverts to it again; host 3's new
#     daemon stays backup; the VIP never leaves host 1.
#  4. the metadata service drops every request for 30 s: every daemon logs the error with a
#     growing retry delay and keeps its 2 peers; host 1 advertises to both peers without a
#     gap; the VIP never leaves host 1. Afterwards a metadata change is picked up again.
#  5. the service metadata gains check_weight 20: every daemon applies it in place (no state
#     change); then host 1's load balancer stops: instead of FAULT (weight 0, the default),
#     host 1 advertises priority 130 and keeps the VIP (still above host 2's 100).
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init rancher_live "${1:-}"
LAB_IPV4_NET=10.42.0
lab_up 3

PYTHON=$(command -v python3) || lab_cannot_run "python3 (the fake metadata server) is not installed"
command -v curl >/dev/null || lab_cannot_run "curl (the fake server's controls) is not installed"
SERVER=10.42.0.2
VIP=10.42.0.100
VRID=51           # from the service metadata, not from the env
OUTAGE_S=30
APPLY_MS=5000     # a metadata change reaches the daemons: one long poll answer + one read
MAX_GAP_MS=400    # between two adverts of host 1 to one peer (they go every 100 ms)

# ---- the fake metadata service, inside the lab ---------------------------------------------

lab_start_fake_api "$SERVER" rancher --opt self_by_source=1
PORT=$LAB_FAKE_PORT
URL="http://$SERVER:$PORT/2015-12-19"

# control WHAT: one of the fake server's control endpoints (fake_api.py's and the rancher
# scenario's docstrings).
control() {
	ip netns exec "$LAB_SWITCH" curl -sSf -m 5 "http://$SERVER:$PORT/_control/$1" \
		>>"$LAB_DIR/control.log" 2>&1 || lab_fail "control $1" "the fake server did not answer"
}

# ---- the daemons --------------------------------------------------------------------------

mkdir -p "$LAB_DIR/www"
declare -A LB_PID=()
for k in 1 2 3; do
	lab_spawn "$k" "$LAB_DIR/lb$k.log" "$PYTHON" -m http.server 80 --bind 127.0.0.1 \
		--directory "$LAB_DIR/www"
	LB_PID[$k]=$LAB_SPAWNED
done

rancher_env=(KEEPVIP_ORCHESTRATOR=rancher "KEEPVIP_RANCHER_METADATA_URL=$URL"
	KEEPVIP_RANCHER_STACK=keepvip KEEPVIP_RANCHER_SERVICE=keepvip KEEPVIP_RANCHER_MAX_WAIT_S=2)
common=("${rancher_env[@]}" "KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRRP_VERSION=3 KEEPVIP_ADVERT_MS=100)
declare -A PRIORITY=([1]=150 [2]=100 [3]=50)

start_host() { lab_start_keepvip "$1" "${common[@]}" "KEEPVIP_PRIORITY=${PRIORITY[$1]}"; }

wire=0
lab_capture_start "" && wire=1

# ---- 1. start ------------------------------------------------------------------------------

lab_start_three_on_1 $VIP "priority 150"
for k in 1 2 3; do
	lab_expect "host $k runs the rancher adapter" lab_log_has $k 'adapter rancher'
done

# `keepvip peers`: the adapter's view from each host (self by source address, own address
# dropped from the peers, the service metadata as settings).
for k in 1 2 3; do
	want_peers=$(for j in 1 2 3; do [ $j = $k ] || printf '10.42.0.1%s ' $j; done)
	if lab_exec_keepvip "$k" peers "${common[@]}" "KEEPVIP_PRIORITY=${PRIORITY[$k]}"; then
		got=$("$PYTHON" -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d.get("adapter"), d.get("self"), " ".join(sorted(d.get("peers", []))),
      d.get("settings", {}).get("KEEPVIP_VRID"), d.get("settings", {}).get("KEEPVIP_CHECK_PORT"))
' "$LAB_DIR/exec.out" 2>&1)
		lab_expect_eq "host $k: keepvip peers" "rancher 10.42.0.1$k ${want_peers% } 51 80" "$got"
	else
		lab_fail "host $k: keepvip peers" "exit $?: $(cat "$LAB_DIR/exec.err")"
	fi
done

t_start=$(lab_now_us)
lab_sleep_ms 1000
t_started=$(lab_now_us)

# ---- 2. node-c's container stops ----------------------------------------------------------

lab_mark_logs 1 2 3
lab_stop 3 TERM
lab_expect_eq "host 3 (backup) exits 0 on SIGTERM" 0 "${LAB_RC[3]:-}"
control "stop?name=keepvip-keepvip-3"
t_stop=$(lab_now_us)
for k in 1 2; do
	if lab_wait_log_after $k "${LAB_MARK[$k]}" 'peers changed: -10\.42\.0\.13$' $APPLY_MS; then
		lab_expect_le "host $k logs peers changed: -10.42.0.13" "$LAB_WAITED_MS" $APPLY_MS
	else
		lab_fail "host $k logs peers changed: -10.42.0.13" "not within $APPLY_MS ms"
	fi
done
t_removed=$(lab_now_us)
if out=$(lab_watch_holders $VIP 2000 1); then
	lab_pass "node-c stopped: the VIP stays on host 1"
else
	lab_fail "node-c stopped: the VIP stays on host 1" "$out"
fi
lab_expect "host 1 stayed MASTER through the change" lab_log_lacks_after 1 "${LAB_MARK[1]}" 'MASTER -> '
lab_expect "host 2 stayed BACKUP through the change" lab_log_lacks_after 2 "${LAB_MARK[2]}" '-> MASTER'

# ---- 3. node-c's container starts again ---------------------------------------------------

lab_mark_logs 1 2 3
t_restart=$(lab_now_us)
control "start?name=keepvip-keepvip-3"
for k in 1 2; do
	if lab_wait_log_after $k "${LAB_MARK[$k]}" 'peers changed: \+10\.42\.0\.13$' $APPLY_MS; then
		lab_expect_le "host $k logs peers changed: +10.42.0.13" "$LAB_WAITED_MS" $APPLY_MS
	else
		lab_fail "host $k logs peers changed: +10.42.0.13" "not within $APPLY_MS ms"
	fi
done
t_added=$(lab_now_us)
start_host 3
if out=$(lab_watch_holders $VIP 2000 1); then
	lab_pass "node-c back: its daemon stays backup, the VIP stays on host 1"
else
	lab_fail "node-c back: its daemon stays backup, the VIP stays on host 1" "$out"
fi
lab_expect "host 3 never became master" lab_log_lacks 3 '-> MASTER'
lab_expect "host 1 stayed MASTER" lab_log_lacks_after 1 "${LAB_MARK[1]}" 'MASTER -> '

# ---- 4. a 30 s metadata outage -------------------------------------------------------------

lab_mark_logs 1 2 3
control "down?seconds=$OUTAGE_S&mode=drop"
t_down=$(lab_now_us)
if out=$(lab_watch_holders $VIP $((OUTAGE_S * 1000)) 1); then
	lab_pass "metadata down ${OUTAGE_S} s: the VIP stays on host 1 throughout"
else
	lab_fail "metadata down ${OUTAGE_S} s: the VIP stays on host 1 throughout" "$out"
fi
t_up=$(lab_now_us)
for k in 1 2 3; do
	mark=${LAB_MARK[$k]}
	lab_expect "host $k logs the adapter error, keeping its 2 peers" lab_log_has_after $k "$mark" \
		'rancher: GET http://10\.42\.0\.2:[0-9]+/2015-12-19/.*keeping 2 known peers, retrying in [0-9]+ ms'
	delays=$(tail -n "+$((mark + 1))" "$LAB_DIR/host$k.log" |
		sed -nE 's/.*rancher: .*keeping [0-9]+ known peers, retrying in ([0-9]+) ms.*/\1/p' | tr '\n' ' ')
	lab_expect "host $k backs off (retry delays grow: ${delays% })" awk -v d="$delays" \
		'BEGIN { n = split(d, a, " "); for (i = 2; i <= n; i++) if (a[i] + 0 <= a[i - 1] + 0) exit 1; exit !(n >= 3) }'
	lab_expect "host $k keeps its peers through the outage" lab_log_lacks_after $k "$mark" 'peers changed'
	lab_expect "host $k keeps its state through the outage" lab_log_lacks_after $k "$mark" ' -> '
done

# After the outage: a change in the metadata is picked up again, once the backoff lets the
# daemons ask (the last delay before the server came back is at most 16 s).
lab_mark_logs 1 2 3
control "version"
for k in 1 2 3; do
	mark=${LAB_MARK[$k]}
	if lab_wait_log_after $k "$mark" 'rancher: answering again after [0-9]+ failures' 20000; then
		lab_pass "host $k: the adapter answers again after the outage (${LAB_WAITED_MS} ms after the change)"
	else
		lab_fail "host $k: the adapter answers again after the outage" "not within 20000 ms"
	fi
	lab_expect "host $k: the same peers after the outage" lab_log_lacks_after $k "$mark" 'peers changed'
done
lab_assert_single_holder "host 1 still the only holder" $VIP 1

# ---- 5. a setting changed in the service metadata ------------------------------------------

lab_mark_logs 1 2 3
control "metadata?key=check_weight&value=20"
for k in 1 2 3; do
	if lab_wait_log_after $k "${LAB_MARK[$k]}" 'adapter settings: settings reloaded in place' $APPLY_MS; then
		lab_expect_le "host $k applies check_weight 20 from the metadata in place" \
			"$LAB_WAITED_MS" $APPLY_MS
	else
		lab_fail "host $k applies check_weight 20 from the metadata in place" "not within $APPLY_MS ms"
	fi
	lab_expect "host $k keeps its state through the new setting" \
		lab_log_lacks_after $k "${LAB_MARK[$k]}" ' -> (MASTER|BACKUP|FAULT|INIT)'
done
kill -TERM "${LB_PID[1]}" 2>/dev/null
# fall 2 x interval 1000 ms from the metadata's check, plus a generous margin
if lab_wait_log_after 1 "${LAB_MARK[1]}" 'priority 150 -> 130' 6000; then
	lab_pass "host 1's check fails: priority 150 -> 130 (weight 20), ${LAB_WAITED_MS} ms"
else
	lab_fail "host 1's check fails: priority 150 -> 130 (weight 20)" "not within 6000 ms"
fi
t_lowered=$(lab_now_us)
lab_sleep_ms 1000
lab_expect "host 1 stays MASTER with the lowered priority (no FAULT)" \
	lab_log_lacks_after 1 "${LAB_MARK[1]}" 'MASTER -> '
lab_assert_single_holder "host 1 still the only holder at priority 130" $VIP 1
lab_sample_holders_stop
lab_expect_sole_holder_sampled 1 500

# ---- the wire, over the whole run ---------------------------------------------------------

if [ "$wire" = 1 ]; then
	t_end=$(lab_now_us)
	lab_capture_stop
	adverts=$(lab_capture_text | grep -F "VRRPv3, Advertisement")
	lab_expect "wire: adverts captured" test -n "$adverts"
	lab_expect "wire: none to 224.0.0.18 (unicast from the metadata's peers)" \
		lab_no_line_matches "$adverts" '224\.0\.0\.18'
	lab_expect "wire: VRID $VRID (from the service metadata)" \
		lab_all_lines_match "$adverts" "Advertisement, vrid $VRID,"
	lab_expect "wire: host 1 does not advertise to itself" \
		lab_no_line_matches "$adverts" '> 10\.42\.0\.11: VRRP'
	for peer in 10.42.0.12 10.42.0.13; do
		gap=$(lab_max_advert_gap_ms 10.42.0.11 $peer "$t_start" "$t_started")
		lab_expect_le "wire: adverts to $peer at start (longest gap)" "$gap" $MAX_GAP_MS
	done
	# Removed: nothing to node-c from shortly after both hosts logged the change until the
	# change back was made; node-b all along.
	late=$(lab_count_adverts 10.42.0.11 10.42.0.13 "$((t_removed + 200000))" "$t_restart")
	lab_expect_eq "wire: no advert to 10.42.0.13 while it is out of the metadata" 0 "$late"
	gap=$(lab_max_advert_gap_ms 10.42.0.11 10.42.0.12 "$t_stop" "$t_restart")
	lab_expect_le "wire: adverts to 10.42.0.12 while node-c is out (longest gap)" "$gap" $MAX_GAP_MS
	gap=$(lab_max_advert_gap_ms 10.42.0.11 10.42.0.13 "$((t_added + 200000))" "$t_down")
	lab_expect_le "wire: adverts to 10.42.0.13 again once it is back (longest gap)" "$gap" $MAX_GAP_MS
	for peer in 10.42.0.12 10.42.0.13; do
		gap=$(lab_max_advert_gap_ms 10.42.0.11 $peer "$t_down" "$t_end")
		lab_expect_le "wire: adverts to $peer through the outage and after (longest gap)" \
			"$gap" $MAX_GAP_MS
	done
	# from shortly after the log line (an advert may be on its way) to the end
	prio=$(lab_advert_lines 10.42.0.11 10.42.0.12 "$((t_lowered + 50000))" "$t_end" |
		sed -nE 's/.*, prio ([0-9]+),.*/\1/p' | sort -u | tr '\n' ' ')
	lab_expect_eq "wire: host 1 advertises priority 130 once its check fails (weight 20)" \
		"130 " "$prio"
	n=$(lab_count_adverts 10.42.0.11 10.42.0.13 "$t_down" "$t_up")
	lab_expect "wire: $n adverts to 10.42.0.13 during the ${OUTAGE_S} s outage" \
		[ "$n" -ge $((OUTAGE_S * 8)) ]
fi

for k in 1 2 3; do
	lab_expect "host $k daemon still running" lab_is_running $k
done
lab_stop_all_clean $VIP 1 2 3
lab_finish
