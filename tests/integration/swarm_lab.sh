#!/usr/bin/env bash
# shellcheck disable=SC2317 # its condition functions are called through sw_wait and lab_expect
# swarm_lab.sh — the real-swarm scaffold (lib/swarm.sh) proved on its own, and what a real
# engine answers where the Swarm adapter depends on it.
#
#   swarm_lab.sh [KEEPVIP_BINARY]   (root; the binary is unused: the image builds its own)
#
# Three lab hosts, one dockerd each, `swarm init` on host 1, hosts 2 and 3 joined as workers.
# A trivial global stack (the pause image, host network) runs one task per node; a fourth host
# joins and gets its task; it leaves (engine stopped, `docker node rm --force`) and its task
# is gone from the service; swarm-templates/docker-stack.yml is accepted by `docker stack
# deploy` with its capabilities; `docker stack rm` leaves no container on any node.
# On the way it records (INFO lines, for the adapter's design) what a worker's engine answers
# to /nodes and /tasks, the manager's Status.Addr, /containers/$HOSTNAME/json in a host-network
# task, and which events the manager's /events emits when a task on a worker dies.
# Needs: docker.io debootstrap socat curl (Debian). Cannot run: skipped (77), failed with CI=true.

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=lib/netns.sh
. "$HERE/lib/netns.sh"
# shellcheck source=lib/swarm.sh
. "$HERE/lib/swarm.sh"

STACK=lab
SERVICE=${STACK}_pause
T0=$(lab_now_us)

lab_init swarm_lab "$@"
sw_setup
command -v curl >/dev/null || lab_cannot_run "curl not found"
lab_up 3

info() { printf 'INFO %s\n' "$*"; }
sw_quiet() { sw_docker "$@" >/dev/null 2>&1; }

# api NODE PATH: "HTTP_CODE BODY" of a GET on that node's engine socket.
api() {
	curl -s --max-time 5 --unix-socket "$SW_DIR/n$1/docker.sock" -w '\n%{http_code}' \
		"http://localhost/v1.41$2" | awk '{ l[NR] = $0 } END { printf "%s ", l[NR]; for (i = 1; i < NR; i++) printf "%s", l[i]; print "" }'
}

write_pause_stack() {
	cat >"$LAB_DIR/pause-stack.yml" <<EOF
version: "3.8"
services:
  pause:
    image: $SW_PAUSE_IMAGE
    command: ["/usr/bin/sleep", "infinity"]
    stop_grace_period: 1s
    networks: [hostnet]
    deploy:
      mode: global
      restart_policy: {condition: any, delay: 1s}
networks:
  hostnet:
    external: true
    name: host
EOF
}

node_is_down() { [ "$(sw_docker 1 node inspect "node$1" -f '{{.Status.State}}' 2>/dev/null)" = down ]; }

kv_task() {
	sw_docker 1 ps -aq --no-trunc --filter label=com.docker.swarm.service.name=kv_keepvip |
		head -n 1
}
kv_task_exists() { [ -n "$(kv_task)" ]; }

# replaced_on_node2 OLD_CONTAINER: another container of the service runs on node2.
replaced_on_node2() {
	local id
	id=$(sw_docker 2 ps -q --no-trunc --filter "label=com.docker.swarm.service.name=$SERVICE")
	[ -n "$id" ] && [ "$id" != "$1" ]
}

want_running() { [ "$(sw_running_nodes "$SERVICE")" = "$1" ]; }

no_containers_anywhere() {
	local k
	for k in "$@"; do
		[ -z "$(sw_docker "$k" ps -aq 2>/dev/null)" ] || return 1
	done
}

# ---------------------------------------------------------------------------------------------

sw_prepare_images
T_IMAGES=$(lab_now_us)
sw_swarm 3
T_SWARM=$(lab_now_us)
lab_expect_eq "3 nodes ready in the swarm (1 manager, 2 workers)" "node1 Leader|node2 |node3 " \
	"$(sw_docker 1 node ls --format '{{.Hostname}} {{.ManagerStatus}}' | sort | paste -sd '|')"
lab_expect_eq "node 2 is a worker (its /info: ControlAvailable false)" "false active" \
	"$(sw_docker 2 info -f '{{.Swarm.ControlAvailable}} {{.Swarm.LocalNodeState}}')"

# What the API answers where the adapter depends on it.
info "engine $(sw_docker 1 version -f 'server {{.Server.Version}} API {{.Server.APIVersion}} (min {{.Server.MinAPIVersion}})'), CLI $("$SW_DOCKER_BIN" version -f '{{.Client.Version}}' 2>/dev/null)"
info "worker GET /nodes: $(api 2 /nodes | cut -c1-200)"
info "worker GET /tasks: $(api 2 /tasks | cut -c1-200)"
info "worker /info RemoteManagers: $(sw_docker 2 info -f '{{json .Swarm.RemoteManagers}}'), NodeAddr $(sw_docker 2 info -f '{{.Swarm.NodeAddr}}')"
info "manager node Status.Addr: $(sw_docker 1 node inspect self -f '{{.Status.Addr}} (ManagerStatus.Addr {{.ManagerStatus.Addr}})')"
info "worker node Status.Addr: $(sw_docker 1 node inspect node2 -f '{{.Status.Addr}}')"

write_pause_stack
sw_docker 1 stack deploy --resolve-image never -c "$LAB_DIR/pause-stack.yml" "$STACK" \
	>"$LAB_DIR/deploy.log" 2>&1 || lab_die "stack deploy failed: $(cat "$LAB_DIR/deploy.log")"
if sw_wait 60000 want_running "node1 node2 node3"; then
	lab_pass "global stack: one running task per node after $LAB_WAITED_MS ms"
else
	lab_fail "global stack: one running task per node" "running on '$(sw_running_nodes "$SERVICE")'"
fi
lab_expect_eq "one task per node, no more" 3 \
	"$(sw_docker 1 service ps -q --filter desired-state=running "$SERVICE" | wc -l)"

# KEEPVIP_SWARM_CAPTURE=DIR: the engine's answers, kept as test data for the parser.
if [ -n "${KEEPVIP_SWARM_CAPTURE:-}" ]; then
	mkdir -p "$KEEPVIP_SWARM_CAPTURE"
	filt() { jq -rn --arg k "$1" --arg v "$2" '{($k): [$v]} | tojson | @uri'; }
	cap() { curl -s --max-time 5 --unix-socket "$SW_DIR/n$1/docker.sock" "http://localhost$2" | jq . >"$KEEPVIP_SWARM_CAPTURE/$3"; }
	cap 1 /version version.json
	cap 1 /v1.41/info info-manager.json
	cap 2 /v1.41/info info-worker.json
	cap 1 /v1.41/nodes nodes.json
	cap 1 "/v1.41/services?filters=$(filt name "$SERVICE")" services.json
	cap 1 "/v1.41/tasks?filters=$(filt service "$SERVICE")" tasks.json
	cap 2 /v1.41/tasks error-not-manager.json
	cap 2 "/v1.41/containers/$(sw_docker 2 ps -q --no-trunc | head -n 1)/json" container.json
fi

# A host-network task: its hostname is the node's, so /containers/$HOSTNAME/json misses it;
# its container id is in its mountinfo (the source of /etc/hostname).
task2=$(sw_docker 2 ps -q --no-trunc --filter "label=com.docker.swarm.service.name=$SERVICE" | head -n 1)
if [ -n "$task2" ]; then
	hn=$(sw_docker 2 exec "$task2" cat /etc/hostname)
	info "host-network task on node2: \$HOSTNAME=$hn; GET /containers/$hn/json: $(api 2 "/containers/$hn/json" | cut -c1-120)"
	sw_docker 2 exec "$task2" cat /proc/self/mountinfo >"$LAB_DIR/task-mountinfo.txt"
	sw_docker 2 exec "$task2" cat /proc/self/cgroup >"$LAB_DIR/task-cgroup.txt"
	lab_expect "the task's mountinfo names its container id (/etc/hostname's source)" \
		grep -q "/containers/$task2/hostname /etc/hostname " "$LAB_DIR/task-mountinfo.txt"
	info "task cgroup names the id: $(grep -c "$task2" "$LAB_DIR/task-cgroup.txt") line(s)"
	info "own labels: $(sw_docker 2 inspect -f '{{index .Config.Labels "com.docker.swarm.service.name"}}' "$task2")"

	# The manager's events while a task on a worker dies and swarm replaces it.
	curl -sN --unix-socket "$SW_DIR/n1/docker.sock" "http://localhost/v1.41/events" \
		>"$LAB_DIR/events-manager.jsonl" 2>/dev/null &
	ev_pid=$!
	lab_track_pid "$ev_pid"
	sleep 0.5
	sw_docker 2 kill "$task2" >/dev/null
	if sw_wait 30000 replaced_on_node2 "$task2"; then
		lab_pass "the killed task on node2 is replaced after $LAB_WAITED_MS ms"
	else
		lab_fail "the killed task on node2 is replaced" "no new task container on node2"
	fi
	sleep 2
	kill "$ev_pid" 2>/dev/null
	[ -z "${KEEPVIP_SWARM_CAPTURE:-}" ] || cp "$LAB_DIR/events-manager.jsonl" "$KEEPVIP_SWARM_CAPTURE/"
	info "manager events while a worker's task died and restarted: $(jq -r '"\(.Type)/\(.Action)"' "$LAB_DIR/events-manager.jsonl" 2>/dev/null | sort | uniq -c | tr -s ' \n' ' ')"
else
	lab_fail "a task on node2" "none found"
fi

# A fourth node joins: its task starts without anything else done.
T_ADD=$(lab_now_us)
curl -sN --unix-socket "$SW_DIR/n1/docker.sock" "http://localhost/v1.41/events" \
	>"$LAB_DIR/events-node4.jsonl" 2>/dev/null &
ev_pid=$!
lab_track_pid "$ev_pid"
sw_add_node 4
if sw_wait 60000 want_running "node1 node2 node3 node4"; then
	lab_pass "node4 joins: its task runs $(lab_ms_between "$T_ADD" "$(lab_now_us)") ms after its host was made"
else
	lab_fail "node4's task runs" "running on '$(sw_running_nodes "$SERVICE")'"
fi

# It leaves: engine stopped, node removed; the service is back to three tasks.
T_STOP=$(lab_now_us)
sw_stop_engine 4
sw_wait 30000 node_is_down 4 &&
	info "node4 seen down by the manager $LAB_WAITED_MS ms after its engine stopped"
sw_node_rm 4 || lab_fail "docker node rm --force node4" "failed"
lab_expect "node4 is gone from the node list" \
	lab_no_line_matches "$(sw_docker 1 node ls --format '{{.Hostname}}')" '^node4$'
if sw_wait 30000 want_running "node1 node2 node3"; then
	lab_pass "after node4 left, the service runs on node1..3 only"
else
	lab_fail "service back to node1..3" "running on '$(sw_running_nodes "$SERVICE")'"
fi
sleep 1
kill "$ev_pid" 2>/dev/null
info "manager events while node4 joined, stopped and was removed ($(lab_ms_between "$T_ADD" "$T_STOP") + $(lab_ms_between "$T_STOP" "$(lab_now_us)") ms): $(jq -r '"\(.Type)/\(.Action)\(if .Type == "node" then " " + ((.Actor.Attributes | to_entries | map(select(.key | startswith("state"))) | map(.key + "=" + .value) | join(","))) else "" end)"' "$LAB_DIR/events-node4.jsonl" 2>/dev/null | uniq -c | tr -s ' \n' ' ')"

# The project's stack file: accepted by stack deploy, its capabilities in the service spec.
# The stack file's knobs come from the CLI's environment; without VIRTUAL_IP it is refused.
if sw_docker 1 stack deploy --resolve-image never -c "$REPO/swarm-templates/docker-stack.yml" \
	kv >"$LAB_DIR/deploy-kv.log" 2>&1; then
	lab_fail "docker-stack.yml without VIRTUAL_IP is refused" "deployed"
	sw_docker 1 stack rm kv >/dev/null 2>&1
else
	lab_pass "docker-stack.yml without VIRTUAL_IP is refused ($(head -n 1 "$LAB_DIR/deploy-kv.log"))"
fi
VIRTUAL_IP=10.99.0.100 KEEPVIP_IMAGE=$SW_IMAGE sw_docker 1 stack deploy --resolve-image never \
	-c "$REPO/swarm-templates/docker-stack.yml" kv >"$LAB_DIR/deploy-kv.log" 2>&1 ||
	lab_fail "stack deploy of docker-stack.yml" "$(cat "$LAB_DIR/deploy-kv.log")"
lab_expect "swarm-templates/docker-stack.yml is accepted by docker stack deploy" \
	sw_quiet 1 service inspect kv_keepvip
lab_expect "stack deploy ignores none of its options ($(grep -i ignor "$LAB_DIR/deploy-kv.log" | head -n 1))" \
	lab_no_line_matches "$(cat "$LAB_DIR/deploy-kv.log")" '[Ii]gnoring'
lab_expect_eq "the stack's service keeps cap_add (NET_ADMIN, NET_RAW)" '["CAP_NET_ADMIN","CAP_NET_RAW"]' \
	"$(sw_docker 1 service inspect kv_keepvip -f '{{json .Spec.TaskTemplate.ContainerSpec.CapabilityAdd}}' 2>/dev/null)"
svc_nets=$(sw_docker 1 service inspect kv_keepvip -f '{{range .Spec.TaskTemplate.Networks}}{{.Target}} {{end}}')
lab_expect_eq "the stack's service is global on the host network, socket read-only" \
	'global host /var/run/docker.sock:true' \
	"$(sw_docker 1 service inspect kv_keepvip -f '{{if .Spec.Mode.Global}}global{{end}}') $(for n in $svc_nets; do sw_docker 1 network inspect -f '{{.Name}}' "$n"; done) $(sw_docker 1 service inspect kv_keepvip -f '{{range .Spec.TaskTemplate.ContainerSpec.Mounts}}{{.Target}}:{{.ReadOnly}}{{end}}')"

# A task container of it on node1 (the adapter is not wired yet: it may have exited).
if sw_wait 30000 kv_task_exists; then
	kv=$(kv_task)
	lab_expect_eq "the task container gets NET_ADMIN and NET_RAW" '["CAP_NET_ADMIN","CAP_NET_RAW"]' \
		"$(sw_docker 1 inspect -f '{{json .HostConfig.CapAdd}}' "$kv")"
	lab_expect "the task's KEEPVIP_SWARM_SERVICE is its service's name" \
		lab_some_line_matches "$(sw_docker 1 inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$kv")" \
		'^KEEPVIP_SWARM_SERVICE=kv_keepvip$'
	info "keepvip task on node1: $(sw_docker 1 logs "$kv" 2>&1 | tail -n 1)"
else
	lab_fail "a task container of kv_keepvip on node1" "none within 30 s"
fi
sw_docker 1 stack rm kv >/dev/null 2>&1

# Gone: no container left on any node.
sw_docker 1 stack rm "$STACK" >/dev/null || lab_fail "docker stack rm" "failed"
if sw_wait 60000 no_containers_anywhere 1 2 3; then
	lab_pass "docker stack rm: no container left on any node after $LAB_WAITED_MS ms"
else
	lab_fail "docker stack rm" "containers left"
fi

T_END=$(lab_now_us)
info "times: images $(lab_ms_between "$T0" "$T_IMAGES") ms (built: $SW_BUILT), swarm of 3 $(lab_ms_between "$T_IMAGES" "$T_SWARM") ms, total $(lab_ms_between "$T0" "$T_END") ms"
lab_finish
