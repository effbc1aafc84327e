#!/usr/bin/env bash
# marathon_live.sh — three daemons run as the three tasks of the Marathon app /keepvip and take
# their peers from a fake Marathon (tests/adapters/lib/fake_api.py running
# scenarios/marathon.py: the task list and the SSE event stream) that runs in a fourth
# namespace of the lab (the switch), with basic auth. DESIGN "Behaviour": peers change at run
# time without moving the VIP; an adapter that cannot reach its API keeps the last peers.
#
# Host K is 10.42.0.1K, the agent of the fixture's task K (HOST=10.42.0.1K, as Marathon sets).
#  1. start: unicast to the two others, never to 224.0.0.18; host 1 (priority 150) holds the
#     VIP; no log line holds the password.
#  2. task 3 killed (its daemon gets SIGTERM, then status_update_event TASK_KILLED): host 1
#     logs "peers changed: -10.42.0.13" within 1 s of the event and stops advertising to it
#     (the figure on the wire is printed); the VIP never leaves host 1.
#  3. a new task on agent 3 (TASK_RUNNING, and its daemon starts): "+10.42.0.13" within 1 s,
#     adverts to it again; host 3 stays backup; the VIP never leaves host 1.
#  4. Marathon down for 10 s (streams cut, every request dropped): every daemon keeps its
#     peers and its state, host 1 advertises to both peers without a gap; afterwards the
#     adapters answer again.
#  5. `keepvip peers` against the fake answering as real Marathons do (1.4+ with staging,
#     unreachable, lost, IPv6-only and host-name tasks; 1.3 with host names only): the exact
#     JSON (host names from a hosts file bind-mounted in a private mount namespace).
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init marathon_live "${1:-}"
LAB_IPV4_NET=10.42.0
LAB_ORCHESTRATOR=marathon
lab_up 3

PYTHON=$(command -v python3) || lab_cannot_run "python3 (the fake Marathon) is not installed"
command -v curl >/dev/null || lab_cannot_run "curl (the fake server's controls) is not installed"
command -v unshare >/dev/null || lab_cannot_run "unshare (util-linux) is not installed"
ADAPTER_TESTS="$(cd "$(dirname "$0")/.." && pwd)/adapters"
SERVER=10.42.0.2
VIP=10.42.0.100
PASSWORD="lab-Secret-pw-42"
OUTAGE_S=10
APPLY_MS=1000     # an event reaches the peers (issue 12: within 1 s)
MAX_GAP_MS=400    # between two adverts of host 1 to one peer (they go every 100 ms)

# ---- the fake Marathon, inside the lab -----------------------------------------------------

lab_start_fake_api "$SERVER" marathon --opt all_running=1 --opt "auth=basic:admin:$PASSWORD" \
	--opt heartbeat_ms=1000
PORT=$LAB_FAKE_PORT
URL="http://$SERVER:$PORT"

control() {
	ip netns exec "$LAB_SWITCH" curl -sSf -m 5 "$URL/_control/$1" \
		>>"$LAB_DIR/control.log" 2>&1 || lab_fail "control $1" "the fake server did not answer"
}

# ---- the daemons --------------------------------------------------------------------------

common=("KEEPVIP_MARATHON_URL=$URL" MARATHON_APP_ID=/keepvip KEEPVIP_MARATHON_USER=admin
	"KEEPVIP_MARATHON_PASSWORD=$PASSWORD" KEEPVIP_MARATHON_IDLE_S=4
	"KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=51 KEEPVIP_VRRP_VERSION=3 KEEPVIP_ADVERT_MS=100)
declare -A PRIORITY=([1]=150 [2]=100 [3]=50)

start_host() {
	lab_start_keepvip "$1" "${common[@]}" "HOST=10.42.0.1$1" "KEEPVIP_PRIORITY=${PRIORITY[$1]}"
}

wire=0
lab_capture_start "" && wire=1

# ---- 1. start ------------------------------------------------------------------------------

lab_start_three_on_1 $VIP "priority 150"
for k in 1 2 3; do
	lab_expect "host $k runs the marathon adapter with 2 peers" \
		lab_log_has $k 'marathon: /keepvip: 2 peer\(s\)'
done
t_start=$(lab_now_us)
lab_sleep_ms 1000
t_started=$(lab_now_us)

# ---- 2. task 3 killed ----------------------------------------------------------------------

lab_mark_logs 1 2 3
lab_stop 3 TERM
lab_expect_eq "host 3 (backup) exits 0 on SIGTERM" 0 "${LAB_RC[3]:-}"
t_kill=$(lab_now_us)
control "kill?host=10.42.0.13"
for k in 1 2; do
	if lab_wait_log_after $k "${LAB_MARK[$k]}" 'peers changed: -10\.42\.0\.13$' $APPLY_MS; then
		lab_expect_le "host $k logs peers changed: -10.42.0.13 (ms after the event)" \
			"$LAB_WAITED_MS" $APPLY_MS
	else
		lab_fail "host $k logs peers changed: -10.42.0.13" "not within $APPLY_MS ms"
	fi
done
t_removed=$(lab_now_us)
if out=$(lab_watch_holders $VIP 2000 1); then
	lab_pass "task 3 killed: the VIP stays on host 1"
else
	lab_fail "task 3 killed: the VIP stays on host 1" "$out"
fi
lab_expect "host 1 stayed MASTER through the change" lab_log_lacks_after 1 "${LAB_MARK[1]}" 'MASTER -> '
lab_expect "host 2 stayed BACKUP through the change" lab_log_lacks_after 2 "${LAB_MARK[2]}" '-> MASTER'

# ---- 3. a new task on agent 3 --------------------------------------------------------------

# As Mesos does: TASK_RUNNING as the container starts; the daemon starts right after (had it
# started long before its peers knew it, it would hear no advert and take the VIP).
lab_mark_logs 1 2 3
t_add=$(lab_now_us)
control "add?host=10.42.0.13"
start_host 3
for k in 1 2; do
	if lab_wait_log_after $k "${LAB_MARK[$k]}" 'peers changed: \+10\.42\.0\.13$' $APPLY_MS; then
		lab_expect_le "host $k logs peers changed: +10.42.0.13 (ms after the event)" \
			"$LAB_WAITED_MS" $APPLY_MS
	else
		lab_fail "host $k logs peers changed: +10.42.0.13" "not within $APPLY_MS ms"
	fi
done
t_added=$(lab_now_us)
if out=$(lab_watch_holders $VIP 2000 1); then
	lab_pass "new task 3: its daemon stays backup, the VIP stays on host 1"
else
	lab_fail "new task 3: its daemon stays backup, the VIP stays on host 1" "$out"
fi
lab_expect "host 3 never became master" lab_log_lacks_after 3 "${LAB_MARK[3]}" '-> MASTER'
lab_expect "host 1 stayed MASTER" lab_log_lacks_after 1 "${LAB_MARK[1]}" 'MASTER -> '

# ---- 4. Marathon down for 10 s -------------------------------------------------------------

lab_mark_logs 1 2 3
control "down?seconds=$OUTAGE_S&mode=drop"
control "drop_streams"
t_down=$(lab_now_us)
if out=$(lab_watch_holders $VIP $((OUTAGE_S * 1000)) 1); then
	lab_pass "Marathon down ${OUTAGE_S} s: the VIP stays on host 1 throughout"
else
	lab_fail "Marathon down ${OUTAGE_S} s: the VIP stays on host 1 throughout" "$out"
fi
t_up=$(lab_now_us)
for k in 1 2 3; do
	mark=${LAB_MARK[$k]}
	lab_expect "host $k logs the lost stream, keeping its 2 peers" lab_log_has_after $k "$mark" \
		'marathon: .*keeping 2 known peers, retrying in [0-9]+ ms'
	lab_expect "host $k keeps its peers through the outage" lab_log_lacks_after $k "$mark" 'peers changed'
	lab_expect "host $k keeps its state through the outage" lab_log_lacks_after $k "$mark" ' -> '
done
for k in 1 2 3; do
	if lab_wait_log_after $k "${LAB_MARK[$k]}" 'marathon: answering again after [0-9]+ failures' 20000; then
		lab_pass "host $k: the adapter answers again after the outage"
	else
		lab_fail "host $k: the adapter answers again after the outage" "not within 20000 ms"
	fi
	lab_expect "host $k: the same peers after the outage" lab_log_lacks_after $k "${LAB_MARK[$k]}" 'peers changed'
done
lab_assert_single_holder "host 1 still the only holder" $VIP 1
lab_sample_holders_stop
lab_expect_sole_holder_sampled 1 300
B64=$(printf 'admin:%s' "$PASSWORD" | base64)
# the daemon's own lines (the lab's "===== start:" lines echo the env it was given)
no_secret() { ! grep -vF '===== start:' "$LAB_DIR/host$1.log" | grep -F -e "$PASSWORD" -e "$B64" >/dev/null; }
for k in 1 2 3; do
	lab_expect "host $k: the password (plain or base64) is in no log line" no_secret $k
done

# ---- the wire ------------------------------------------------------------------------------

if [ "$wire" = 1 ]; then
	t_end=$(lab_now_us)
	lab_capture_stop
	adverts=$(lab_capture_text | grep -F "VRRPv3, Advertisement")
	lab_expect "wire: adverts captured" test -n "$adverts"
	lab_expect "wire: none to 224.0.0.18 (unicast to Marathon's tasks)" \
		lab_no_line_matches "$adverts" '224\.0\.0\.18'
	lab_expect "wire: host 1 does not advertise to itself" \
		lab_no_line_matches "$adverts" '> 10\.42\.0\.11: VRRP'
	for peer in 10.42.0.12 10.42.0.13; do
		gap=$(lab_max_advert_gap_ms 10.42.0.11 $peer "$t_start" "$t_started")
		lab_expect_le "wire: adverts to $peer at start (longest gap)" "$gap" $MAX_GAP_MS
	done
	# the last advert to 10.42.0.13 after the kill event, the first one after the new task's
	last=$(lab_advert_times 10.42.0.11 10.42.0.13 "$t_kill" "$t_add" | tail -n 1)
	first=$(lab_advert_times 10.42.0.11 10.42.0.13 "$t_add" "$t_end" | head -n 1)
	kill_ms=$(lab_ms_between "$t_kill" "${last:-$t_kill}")
	add_ms=$(lab_ms_between "$t_add" "${first:-$t_end}")
	lab_log "event to advert destinations on the wire: TASK_KILLED ${kill_ms} ms (last advert" \
		"to the killed task), TASK_RUNNING ${add_ms} ms (first advert to the new one)"
	lab_expect_le "wire: no advert to 10.42.0.13 later than 1 s after TASK_KILLED" "$kill_ms" 1000
	lab_expect_le "wire: adverts to 10.42.0.13 within 1 s of TASK_RUNNING" "$add_ms" 1000
	late=$(lab_count_adverts 10.42.0.11 10.42.0.13 "$((t_removed + 200000))" "$t_add")
	lab_expect_eq "wire: no advert to 10.42.0.13 while it is out of the task list" 0 "$late"
	gap=$(lab_max_advert_gap_ms 10.42.0.11 10.42.0.12 "$t_kill" "$t_end")
	lab_expect_le "wire: adverts to 10.42.0.12 all along (longest gap)" "$gap" $MAX_GAP_MS
	gap=$(lab_max_advert_gap_ms 10.42.0.11 10.42.0.13 "$((t_added + 200000))" "$t_end")
	lab_expect_le "wire: adverts to 10.42.0.13 once back, through the outage (longest gap)" \
		"$gap" $MAX_GAP_MS
	n=$(lab_count_adverts 10.42.0.11 10.42.0.13 "$t_down" "$t_up")
	lab_expect "wire: $n adverts to 10.42.0.13 during the ${OUTAGE_S} s outage" \
		[ "$n" -ge $((OUTAGE_S * 8)) ]
fi

for k in 1 2 3; do
	lab_expect "host $k daemon still running" lab_is_running $k
done
lab_stop_all_clean $VIP 1 2 3

# ---- 5. keepvip peers against real Marathon answers ----------------------------------------

# Agents registered by name resolve through this hosts file, seen only by `keepvip peers`.
cat >"$LAB_DIR/hosts" <<'EOF'
127.0.0.1 localhost
10.42.0.11 node-a.mesos.example
10.42.0.12 node-b.mesos.example
10.42.0.13 node-c.mesos.example
10.42.0.15 node-e.edge.example
10.42.0.18 node-h.edge.example
EOF

# peers_json HOST_ENV TASK_ID: `keepvip peers` on host 1, compact JSON with sorted keys.
peers_json() {
	local -a env_args
	mapfile -t env_args < <(lab_base_env)
	env_args+=("${common[@]}" "HOST=$1" "MESOS_TASK_ID=$2")
	timeout -s KILL 10 ip netns exec "$(lab_host_ns 1)" unshare --mount sh -c \
		'mount --bind "$0" /etc/hosts && exec "$@"' "$LAB_DIR/hosts" \
		env -i "${env_args[@]}" "$LAB_KEEPVIP" peers </dev/null 2>"$LAB_DIR/exec.err" |
		"$PYTHON" -c 'import json, sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))'
}

not_in_file() { ! grep -qF -e "$PASSWORD" -e "$B64" "$1"; }
FIXTURES="$ADAPTER_TESTS/fixtures/marathon"
control "tasks?file=$FIXTURES/app-tasks-edge.json"
got=$(peers_json 10.42.0.11 keepvip.instance-a4485ce8-a4a2-841f-4eed-dbe7fa61f010._app.1)
# .11 is us (and our predecessor, killing, on the same agent); .12 its IPv4 entry; .13
# unreachable, .14 staging, .16 starting, .19 lost: no; node-e resolved; fd42::17: no IPv4;
# node-h at its address
lab_expect_eq "keepvip peers, Marathon 1.4+ (instances, staging, unreachable, host names)" \
	'{"adapter": "marathon", "peers": ["10.42.0.12", "10.42.0.15", "10.42.0.18"], "self": "10.42.0.11", "settings": {}}' \
	"$got"
control "tasks?file=$FIXTURES/app-tasks-1.3.json"
got=$(peers_json node-a.mesos.example keepvip.0c5b7d2e-09a1-11ef-9f2a-0242ac110002)
lab_expect_eq "keepvip peers, Marathon 1.3 (task ids, agents by name, killing kept)" \
	'{"adapter": "marathon", "peers": ["10.42.0.12", "10.42.0.13"], "self": "10.42.0.11", "settings": {}}' \
	"$got"
lab_expect "keepvip peers: no password on stderr" not_in_file "$LAB_DIR/exec.err"
lab_finish
