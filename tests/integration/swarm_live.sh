#!/usr/bin/env bash
# shellcheck disable=SC2317 # its condition functions are called through sw_wait and lab_expect
# swarm_live.sh — keepvip deployed on a real Docker swarm with swarm-templates/docker-stack.yml:
# managers and workers in one VRRP group, peers live from the swarm (issue 11, point 5).
#
#   swarm_live.sh [KEEPVIP_BINARY]   (root; the binary is unused: the image builds its own)
#
# Three lab hosts, one dockerd each (lib/swarm.sh): swarm init on host 1 (manager), hosts 2 and
# 3 join as workers. `docker stack deploy -c swarm-templates/docker-stack.yml kv`, then:
#   1. one task per node; every node's peer set is the two others (the manager's keepvip from
#      its engine, the workers' from the manager's keepvip); exactly one node holds the VIP;
#   2. docker kill of the master's container: another node holds the VIP within
#      2 x Master_Down_Interval; Swarm restarts the task; after settle one holder, sets whole;
#   3. a fourth host joins as a worker: its task starts, it is in every other node's set and
#      they in its own, without any restart; the master advertises to it (on the wire);
#   4. it leaves (engine stopped, docker node rm --force): it drops out of every set;
#   5. docker stack rm: no VIP left on any node.
# Tears everything down, also on failure. Needs docker.io debootstrap socat curl jq tcpdump.
# Cannot run: skipped (77), a failure with CI=true.

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=lib/netns.sh
. "$HERE/lib/netns.sh"
# shellcheck source=lib/swarm.sh
. "$HERE/lib/swarm.sh"

STACK=kv
SERVICE=${STACK}_keepvip
VIP=10.99.0.100
ADVERT_MS=1000
PRIORITY=100
SET_MS=20000   # a change no event reports reaches every node's set (15 s + the checks' poll)
T0=$(lab_now_us)

lab_init swarm_live "$@"
sw_setup
for cmd in curl jq; do
	command -v "$cmd" >/dev/null || lab_cannot_run "$cmd not found"
done
lab_up 3

info() { printf 'INFO %s\n' "$*"; }

# peers_of NODE: the peer set of that node's keepvip (its status server), sorted.
peers_of() {
	ip netns exec "$(lab_host_ns "$1")" curl -s --max-time 2 http://127.0.0.1:9650/status 2>/dev/null |
		jq -r '[.instances[0].peers[]?] | sort | join(" ")' 2>/dev/null
}

# others NODE NODES...: the addresses of NODES but NODE, sorted.
others() {
	local me=$1 k
	shift
	for k in "$@"; do
		[ "$k" = "$me" ] || lab_host_ipv4 "$k"
	done | sort | paste -sd ' '
}

# sets_are NODES...: every node's set is exactly the others.
sets_are() {
	local k
	for k in "$@"; do
		[ "$(peers_of "$k")" = "$(others "$k" "$@")" ] || return 1
	done
}

show_sets() {
	local k out=""
	for k in "$@"; do
		out="$out node$k=[$(peers_of "$k")]"
	done
	echo "$out"
}

task_on() {
	sw_docker "$1" ps -q --no-trunc --filter "label=com.docker.swarm.service.name=$SERVICE" 2>/dev/null |
		head -n 1
}

want_running() { [ "$(sw_running_nodes "$SERVICE")" = "$1" ]; }
node_is_down() { [ "$(sw_docker 1 node inspect "node$1" -f '{{.Status.State}}' 2>/dev/null)" = down ]; }

# restarted_on NODE OLD_ID: another task container runs on NODE.
restarted_on() {
	local id
	id=$(task_on "$1")
	[ -n "$id" ] && [ "$id" != "$2" ]
}

no_vip_anywhere() { [ -z "$(lab_holders "$VIP")" ]; }

dump_task_logs() {
	local k id
	for k in $(seq 1 "$LAB_HOSTS"); do
		[ -n "${SW_PID[$k]:-}" ] || continue
		for id in $(sw_docker "$k" ps -aq --filter "label=com.docker.swarm.service.name=$SERVICE" 2>/dev/null); do
			echo "----- node$k task $id (last 12 lines) -----"
			sw_docker "$k" logs "$id" 2>&1 | tail -n 12
		done
	done
}

# ---------------------------------------------------------------------------------------------

sw_prepare_images
T_IMAGES=$(lab_now_us)
sw_swarm 3
T_SWARM=$(lab_now_us)
wire=0
lab_capture_start && wire=1

VIRTUAL_IP=$VIP NETMASK_BIT=24 CHECK_PORT="" KEEPVIP_IMAGE=$SW_IMAGE KEEPVIP_PRIORITY=$PRIORITY \
	KEEPVIP_ADVERT_MS=$ADVERT_MS sw_docker 1 stack deploy --resolve-image never \
	-c "$REPO/swarm-templates/docker-stack.yml" "$STACK" >"$LAB_DIR/deploy.log" 2>&1 ||
	lab_die "stack deploy failed: $(cat "$LAB_DIR/deploy.log")"
T_DEPLOY=$(lab_now_us)

# 1. One task per node, the sets, one holder.
if sw_wait 60000 want_running "node1 node2 node3"; then
	lab_pass "one running task per node, $LAB_WAITED_MS ms after stack deploy"
else
	lab_fail "one running task per node" "running on '$(sw_running_nodes "$SERVICE")'"
fi
if sw_wait 30000 sets_are 1 2 3; then
	lab_pass "every node's peer set is the two others (manager and workers), after $LAB_WAITED_MS ms"
else
	lab_fail "every node's peer set is the two others" "$(show_sets 1 2 3)"
fi
MDI_MS=$(lab_master_down_ms "$ADVERT_MS" "$PRIORITY")
master=$(lab_wait_settled "$VIP" 30000 3000) || lab_fail "one node holds the VIP" "holders '$master'"
[ -n "$master" ] && [ "${master// /}" = "$master" ] && lab_pass "exactly one node holds the VIP: node$master"
info "node1 (manager): $(sw_docker 1 logs "$(task_on 1)" 2>&1 | grep -m1 -F 'swarm (manager)')"
info "node2 (worker): $(sw_docker 2 logs "$(task_on 2)" 2>&1 | grep -m1 -F 'swarm (worker)')"

# 2. The master's container killed on its engine.
old=$(task_on "$master")
[ -n "$old" ] || lab_die "no task container on node$master"
T_KILL=$(lab_now_us)
sw_docker "$master" kill "$old" >/dev/null || lab_fail "docker kill on node$master" "failed"
survivors=$(for k in 1 2 3; do [ "$k" = "$master" ] || echo "$k"; done)
took=""
while [ $((($(lab_now_us) - T_KILL) / 1000)) -lt $((3 * ${MDI_MS%.*})) ]; do
	holders=$(lab_holders "$VIP")
	if [ -n "$holders" ] && [ "${holders// /}" = "$holders" ] && [ "$holders" != "$master" ]; then
		took=$(lab_ms_between "$T_KILL" "$(lab_now_us)")
		break
	fi
	sleep 0.02
done
if [ -n "$took" ]; then
	lab_expect_le "node$holders takes the VIP after the kill (limit 2 x Master_Down_Interval)" \
		"$took" "$(lab_add_ms "$MDI_MS" "$MDI_MS")"
	lab_expect "the new holder is one of the survivors" lab_some_line_matches "$survivors" "^$holders\$"
else
	lab_fail "another node takes the VIP after the kill" "holders '$(lab_holders "$VIP")'"
fi
if sw_wait 60000 restarted_on "$master" "$old"; then
	lab_pass "Swarm restarts the killed task on node$master ($LAB_WAITED_MS ms)"
else
	lab_fail "Swarm restarts the killed task on node$master" "no new container"
fi
if sw_wait $SET_MS sets_are 1 2 3; then
	lab_pass "the restarted keepvip rejoins: every set whole again after $LAB_WAITED_MS ms"
else
	lab_fail "the restarted keepvip rejoins" "$(show_sets 1 2 3)"
fi
settled=$(lab_wait_settled "$VIP" 30000 5000)
if [ -n "$settled" ] && [ "${settled// /}" = "$settled" ]; then
	lab_pass "after settle exactly one node holds the VIP: node$settled"
else
	lab_fail "after settle exactly one holder" "holders '$settled'"
fi
master=$settled

# 3. A fourth node joins as a worker.
before=$(for k in 1 2 3; do task_on "$k"; done | paste -sd ' ')
T_ADD=$(lab_now_us)
sw_add_node 4
if sw_wait 60000 want_running "node1 node2 node3 node4"; then
	lab_pass "node4 joins: its task runs $(lab_ms_between "$T_ADD" "$(lab_now_us)") ms after its host was made"
else
	lab_fail "node4's task runs" "running on '$(sw_running_nodes "$SERVICE")'"
fi
T_RUN4=$(lab_now_us)
if sw_wait $SET_MS sets_are 1 2 3 4; then
	lab_pass "node4 is in every other node's set and they in its own, $LAB_WAITED_MS ms after its task ran"
else
	lab_fail "node4 in every set" "$(show_sets 1 2 3 4)"
fi
lab_expect_eq "no task on node1..3 was restarted for it" "$before" \
	"$(for k in 1 2 3; do task_on "$k"; done | paste -sd ' ')"
lab_assert_single_holder "one holder with node4 in the group" "$VIP"
T_SETS4=$(lab_now_us)
sleep 3

# 4. It leaves: engine stopped, node removed.
T_STOP=$(lab_now_us)
sw_stop_engine 4
sw_wait 30000 node_is_down 4 && info "node4 seen down by the manager $LAB_WAITED_MS ms after its engine stopped"
sw_node_rm 4 || lab_fail "docker node rm --force node4" "failed"
if sw_wait $SET_MS sets_are 1 2 3; then
	lab_pass "node4 dropped out of every set, $(lab_ms_between "$T_STOP" "$(lab_now_us)") ms after its engine stopped"
else
	lab_fail "node4 drops out of the sets" "$(show_sets 1 2 3)"
fi
lab_assert_single_holder "one holder after node4 left" "$VIP"

# 5. The stack removed.
sw_docker 1 stack rm "$STACK" >/dev/null || lab_fail "docker stack rm" "failed"
if sw_wait 60000 no_vip_anywhere; then
	lab_pass "docker stack rm: no VIP left on any node after $LAB_WAITED_MS ms"
else
	lab_fail "docker stack rm: no VIP left" "held by '$(lab_holders "$VIP")'"
fi

# The wire: unicast only, and the master advertised to node4 while it was in the group.
if [ "$wire" = 1 ]; then
	lab_capture_stop
	adverts=$(lab_capture_text | grep -F "VRRPv3, Advertisement")
	lab_expect "wire: adverts captured" test -n "$adverts"
	lab_expect "wire: none to 224.0.0.18 (unicast, managers and workers alike)" \
		lab_no_line_matches "$adverts" '224\.0\.0\.18'
	m_ip=$(lab_host_ipv4 "$master")
	to4=$(awk -v a="$T_SETS4" -v b="$T_STOP" -v m="$m_ip" '
		{ t = $1 * 1000000 } t >= a && t <= b && index($0, m " > 10.99.0.14: VRRP") { n++ }
		END { print n + 0 }' <<<"$adverts")
	lab_expect "wire: the master (node$master) advertises to node4 ($to4 adverts in $(lab_ms_between "$T_SETS4" "$T_STOP") ms)" \
		test "$to4" -ge 2
fi

[ "$LAB_FAILED" = 0 ] 2>/dev/null || dump_task_logs
T_END=$(lab_now_us)
info "times: images $(lab_ms_between "$T0" "$T_IMAGES") ms (built: $SW_BUILT), swarm of 3 $(lab_ms_between "$T_IMAGES" "$T_SWARM") ms, deploy to sets $(lab_ms_between "$T_DEPLOY" "$T_KILL") ms, node4 sets $(lab_ms_between "$T_RUN4" "$T_SETS4") ms, total $(lab_ms_between "$T0" "$T_END") ms"
lab_finish
