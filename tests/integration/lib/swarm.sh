# shellcheck shell=bash disable=SC2034 # SW_* results are read by the scenarios
# swarm.sh — a real multi-node Docker swarm in the lab. Sourced after netns.sh, never executed.
#
# Each swarm node is one lab host (netns.sh: a namespace on the lab's bridge, 10.99.0.1K) with
# one dockerd of its own, started as
#   nsenter --net=/var/run/netns/HOST unshare --mount --uts --propagation private -- sh -c ...
# so that it has:
#   - the host's network (`--network host` and the stack's external `host` network mean it);
#   - its own mount namespace with a private tmpfs on /run: its socket is /run/docker.sock
#     there, so a task that mounts /var/run/docker.sock talks to its own node's engine. The
#     namespace's copy of /run/netns is unmounted first: it would pin every lab namespace
#     (and those of other scenarios) after `ip netns del`;
#   - its own hostname (UTS namespace: node1, node2...), so the swarm sees distinct nodes;
#   - its own --data-root, --exec-root and a second socket under the lab dir, which the
#     scenario's docker CLI uses (sw_docker K ...);
#   - no bridge, no iptables: nothing outside the namespaces changes. Swarm mode needs
#     neither for host-network services (the ingress network is created but never used).
# Its managed containerd and shims run in that mount namespace too; all its mounts (overlay
# layers, /run) live and die there, so nothing is mounted in the root namespace.
#
# Images: no registry is reachable. The keepvip image is built once from the project's
# Dockerfile (as docker_image.sh does: a debootstrap base imported into a builder engine, apt
# through a relay), saved as $CACHE/swarm/keepvip-KEY.tar where KEY hashes the Dockerfile,
# .dockerignore and every file of the build context, and `docker load`ed into each node's
# engine. A warm run (same sources) builds nothing. The builder's data root
# ($CACHE/swarm/builder) is kept so that a cold build reuses the apt layer. A tiny "pause"
# image (sleep and its libraries, from the cached rootfs) serves as a trivial workload.
# Every engine runs with DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1: tasks use the loaded image
# without trying a registry.
#
# Usage, in a scenario:
#   . "$HERE/lib/netns.sh"; . "$HERE/lib/swarm.sh"
#   lab_init swarm_x "$@"
#   sw_setup                  # checks the tools, installs the EXIT trap
#   lab_up 3
#   sw_prepare_images         # cached keepvip image tarball (builds it when missing)
#   sw_swarm 3                # engines on hosts 1..3, swarm init on 1, 2 and 3 join as workers
#   sw_docker 1 stack deploy ...
#   sw_add_node 4             # a new lab host whose engine joins as a worker
#   sw_stop_engine 4; sw_node_rm 4
#   lab_finish
# Teardown (EXIT trap, also on failure): every engine stopped (TERM, then KILL), whatever it
# left (containerd, shims, task processes) killed by pid, data roots removed; then netns.sh
# deletes the namespaces. Cannot run: skipped (77), a failure with CI=true.

SW_CACHE=${KEEPVIP_TEST_CACHE:-/var/cache/keepvip-test}
SW_DOCKER_BIN=${KEEPVIP_TEST_DOCKER:-/usr/bin/docker}
SW_DOCKERD_BIN=${KEEPVIP_TEST_DOCKERD:-/usr/sbin/dockerd}
SW_CONTEXT=${KEEPVIP_TEST_CONTEXT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
SW_IMAGE=keepvip/keepvip:test
SW_PAUSE_IMAGE=keepvip-test/pause:latest
SW_BASE_TAG=keepvip-test/bookworm:base
SW_RELAY_PORT=3142

SW_DIR=""                 # /tmp/kvsw.XXXXXX: one folder per node (short: socket paths)
SW_IMAGE_TAR=""           # the cached keepvip image
SW_WORKER_TOKEN=""
declare -A SW_PID=()      # node -> dockerd pid
SW_HELPERS=()             # relays (killed by the teardown)

[ -n "$(type -t lab_init)" ] || { echo "swarm.sh: source netns.sh first" >&2; return 1; }
# shellcheck source=debian_rootfs.sh
. "$(dirname "${BASH_SOURCE[0]}")/debian_rootfs.sh"

# ---------------------------------------------------------------------------------------------
# Set-up and teardown

# sw_setup: the tools must be there (else cannot run: 77, or a failure in CI); installs the
# EXIT trap that tears the swarm down before the lab's own cleanup.
sw_setup() {
	local cmd
	[ "$(id -u)" = 0 ] || lab_cannot_run "needs root (dockerd, namespaces)"
	for cmd in "$SW_DOCKER_BIN" "$SW_DOCKERD_BIN" debootstrap socat nsenter unshare; do
		command -v "$cmd" >/dev/null ||
			lab_cannot_run "$cmd not found (Debian packages: docker.io debootstrap socat)"
	done
	SW_DIR=$(mktemp -d /tmp/kvsw.XXXXXX) || lab_die "mktemp failed"
	trap sw_on_exit EXIT
}

# shellcheck disable=SC2317 # the EXIT trap
sw_on_exit() {
	local rc=$? f
	trap '' INT TERM
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -n "$LAB_DIR" ]; then
		for f in "$LAB_DIR"/dockerd*.log; do
			[ -f "$f" ] || continue
			echo "----- $(basename "$f") (last 15 lines) -----"
			tail -n 15 "$f"
		done
	fi
	sw_teardown
	(exit "$rc")
	lab_cleanup
}

# shellcheck disable=SC2317 # from the EXIT trap
sw_teardown() {
	local k pid
	for k in "${!SW_PID[@]}"; do
		sw_stop_engine "$k"
	done
	for pid in "${SW_HELPERS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	[ -n "$SW_DIR" ] || return 0
	sw_kill_leftovers "$SW_DIR"
	rm -rf "$SW_DIR"
}

# sw_kill_leftovers DIR: processes whose command line names DIR (containerd, shims) are ours.
sw_kill_leftovers() {
	local pid
	for pid in $(pgrep -f -- "$1" 2>/dev/null); do
		[ "$pid" != $$ ] && [ "$pid" != "$BASHPID" ] && kill -KILL "$pid" 2>/dev/null
	done
}

sw_helper() {
	SW_HELPERS+=("$1")
	disown "$1" 2>/dev/null
}

# ---------------------------------------------------------------------------------------------
# Engines

# sw_docker NODE ARGS...: the docker CLI against that node's engine.
sw_docker() {
	local k=$1
	shift
	"$SW_DOCKER_BIN" -H "unix://$SW_DIR/n$k/docker.sock" "$@"
}

# sw_engine_start NODE [HOST DATA_ROOT]: dockerd NODE (hostname nodeNODE) in lab host HOST
# (default: NODE), data root DATA_ROOT (default: under the lab's folder; see the header).
sw_engine_start() {
	local k=$1 dir="$SW_DIR/n$1" ns
	local data=${3:-$dir/data}
	ns=$(lab_host_ns "${2:-$k}")
	mkdir -p "$dir/exec" "$data"
	# The inner script: $1 hostname, then dockerd's arguments.
	# shellcheck disable=SC2016
	DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 nsenter --net="/var/run/netns/$ns" \
		unshare --mount --uts --propagation private -- sh -c '
			umount -R -l /run/netns 2>/dev/null
			mount -t tmpfs -o mode=0755 tmpfs /run || exit 1
			hostname "$1" || exit 1
			shift
			exec "$@"' sw-node "node$k" \
		"$SW_DOCKERD_BIN" --data-root "$data" --exec-root "$dir/exec" \
		--host unix:///run/docker.sock --host "unix://$dir/docker.sock" \
		--pidfile "$dir/dockerd.pid" \
		--bridge=none --iptables=false --ip6tables=false --ip-masq=false \
		>"$LAB_DIR/dockerd$k.log" 2>&1 &
	SW_PID[$k]=$!
	disown "${SW_PID[$k]}" 2>/dev/null
	for _ in $(seq 1 300); do
		sw_docker "$k" version >/dev/null 2>&1 && return 0
		kill -0 "${SW_PID[$k]}" 2>/dev/null || break
		sleep 0.1
	done
	echo "----- dockerd$k.log (last 30 lines) -----"
	tail -n 30 "$LAB_DIR/dockerd$k.log"
	lab_die "dockerd did not start on node $k (log above)"
}

# sw_stop_engine NODE: TERM (dockerd stops its containers), KILL after 15 s, then whatever
# is left of that engine (containerd, shims, task processes) is killed by pid.
sw_stop_engine() {
	local k=$1 pid=${SW_PID[$1]:-} tasks="" t
	[ -n "$pid" ] || return 0
	if kill -0 "$pid" 2>/dev/null; then
		tasks=$(sw_docker "$k" ps -q 2>/dev/null |
			xargs -r "$SW_DOCKER_BIN" -H "unix://$SW_DIR/n$k/docker.sock" inspect \
				-f '{{.State.Pid}}' 2>/dev/null)
		kill -TERM "$pid"
		for _ in $(seq 1 150); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	fi
	sw_kill_leftovers "$SW_DIR/n$k/"
	for t in $tasks; do
		[ "$t" -gt 1 ] 2>/dev/null && kill -KILL "$t" 2>/dev/null
	done
	unset "SW_PID[$k]"
}

# sw_node_id NODE: the swarm node id of that node's engine (from its own /info).
sw_node_id() { sw_docker "$1" info -f '{{.Swarm.NodeID}}'; }

# sw_load_images NODE: the cached keepvip image and the pause image into that node's engine.
sw_load_images() {
	local k=$1
	sw_docker "$k" load -q -i "$SW_IMAGE_TAR" >/dev/null || lab_die "node $k: docker load failed"
	sw_pause_tar | sw_docker "$k" import - "$SW_PAUSE_IMAGE" >/dev/null ||
		lab_die "node $k: docker import of the pause image failed"
}

# sw_swarm N: engines on hosts 1..N (already up), swarm init on host 1, the others join as
# workers.
sw_swarm() {
	local n=$1 k
	for k in $(seq 1 "$n"); do
		sw_engine_start "$k"
		sw_load_images "$k"
	done
	# As operators run it: the default listen address (0.0.0.0:2377, here the namespace's).
	sw_docker 1 swarm init --advertise-addr "$(lab_host_ipv4 1)" \
		>"$LAB_DIR/swarm-init.log" 2>&1 ||
		lab_die "swarm init failed: $(cat "$LAB_DIR/swarm-init.log")"
	SW_WORKER_TOKEN=$(sw_docker 1 swarm join-token -q worker) || lab_die "no join token"
	for k in $(seq 2 "$n"); do
		sw_join "$k"
	done
	lab_log "swarm up: $n nodes (node1 manager), engine $(sw_docker 1 version -f '{{.Server.Version}}')"
}

sw_join() {
	local k=$1
	sw_docker "$k" swarm join --token "$SW_WORKER_TOKEN" \
		--advertise-addr "$(lab_host_ipv4 "$k")" --listen-addr "$(lab_host_ipv4 "$k"):2377" \
		"$(lab_host_ipv4 1):2377" >>"$LAB_DIR/swarm-join.log" 2>&1 ||
		lab_die "node $k: swarm join failed: $(tail -n 3 "$LAB_DIR/swarm-join.log")"
}

# sw_add_node NODE: one more lab host (numbered NODE, the next one), its engine joined as a
# worker.
sw_add_node() {
	local k=$1
	lab_add_host "$k"
	[ "$LAB_HOSTS" -ge "$k" ] || LAB_HOSTS=$k
	sw_engine_start "$k"
	sw_load_images "$k"
	sw_join "$k"
}

# sw_node_rm NODE: removes that node from the swarm (on the manager, node 1), by hostname.
sw_node_rm() { sw_docker 1 node rm --force "node$1" >/dev/null; }

# sw_wait TIMEOUT_MS COMMAND...: polls COMMAND every 200 ms until it succeeds; sets
# LAB_WAITED_MS; returns 1 on timeout.
sw_wait() {
	local timeout=$1 start
	shift
	start=$(lab_now_us)
	until "$@"; do
		if [ $((($(lab_now_us) - start) / 1000)) -ge "$timeout" ]; then
			LAB_WAITED_MS=$(lab_ms_between "$start" "$(lab_now_us)")
			return 1
		fi
		sleep 0.2
	done
	LAB_WAITED_MS=$(lab_ms_between "$start" "$(lab_now_us)")
}

# sw_running_nodes SERVICE: hostnames of the nodes with a running task of SERVICE (desired
# running, current running), sorted, space separated.
sw_running_nodes() {
	sw_docker 1 service ps --no-trunc --filter desired-state=running \
		--format '{{.Node}} {{.CurrentState}}' "$1" 2>/dev/null |
		awk '$2 == "Running" { print $1 }' | sort | tr '\n' ' ' | sed 's/ $//'
}

# ---------------------------------------------------------------------------------------------
# Images

# sw_pause_tar: a root file system tarball on stdout holding sleep, cat and their libraries.
sw_pause_tar() {
	local r="$SW_CACHE/rootfs" lib
	local -a files=(./usr/bin/sleep ./usr/bin/cat)
	for lib in $(chroot "$r" /usr/bin/ldd /usr/bin/sleep 2>/dev/null |
		awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'); do
		files+=(".$lib")
	done
	tar -C "$r" -ch "${files[@]}" 2>/dev/null
}

# sw_context_key: a hash of what `docker build` would send (the context less .dockerignore's
# patterns) and of the base rootfs' stamp: a change anywhere builds a new image.
sw_context_key() {
	local -a prune=() pat
	while IFS= read -r pat; do
		pat=${pat%/}
		case $pat in
		'' | '#'*) continue ;;
		'**/'*) prune+=(-name "${pat#\*\*/}" -prune -o) ;;
		*) prune+=(-path "./$pat" -prune -o) ;;
		esac
	done < <(cat "$SW_CONTEXT/.dockerignore" 2>/dev/null)
	{
		(cd "$SW_CONTEXT" && find . "${prune[@]}" -type f -print | LC_ALL=C sort |
			xargs -r -d '\n' sha256sum)
		cat "$SW_CONTEXT/Dockerfile" "$SW_CONTEXT/.dockerignore" 2>/dev/null
		stat -c %Y "$SW_CACHE/rootfs/.keepvip-complete"
		"$SW_DOCKERD_BIN" --version
	} | sha256sum | cut -c1-16
}

# sw_prepare_images: SW_IMAGE_TAR, the keepvip image for this source tree, built when the
# cache has none (SW_BUILT=1 then).
sw_prepare_images() {
	local key lock
	SW_BUILT=0
	# One run at a time builds into the cache (the builder's data root, the tarball).
	mkdir -p "$SW_CACHE" || lab_die "cannot create $SW_CACHE"
	exec {lock}>"$SW_CACHE/.swarm-lock"
	flock -w 900 "$lock" || lab_die "the image cache $SW_CACHE stays locked"
	debian_rootfs
	key=$(sw_context_key)
	SW_IMAGE_TAR="$SW_CACHE/swarm/keepvip-$key.tar"
	if [ -s "$SW_IMAGE_TAR" ]; then
		lab_log "keepvip image: cached $SW_IMAGE_TAR"
		exec {lock}>&-
		return 0
	fi
	mkdir -p "$SW_CACHE/swarm"
	sw_build_image "$SW_IMAGE_TAR.tmp"
	# Only the current tarball is kept.
	find "$SW_CACHE/swarm" -maxdepth 1 -name 'keepvip-*.tar' -delete
	mv "$SW_IMAGE_TAR.tmp" "$SW_IMAGE_TAR"
	SW_BUILT=1
	exec {lock}>&-
}

# sw_build_image OUT_TAR: a transient builder engine on host 1 (kept data root, own socket),
# the base imported, the Dockerfile built with apt through a relay, the image saved.
sw_build_image() {
	local out=$1 log="$LAB_DIR/build.log" mirror hostport host port
	mirror=$(debian_mirror)
	[ -n "$mirror" ] || lab_die "no plain-http Debian mirror in apt's sources (set KEEPVIP_TEST_MIRROR)"
	lab_log "keepvip image: building from $SW_CONTEXT (log: $log)"
	sw_engine_start b 1 "$SW_CACHE/swarm/builder"
	if ! sw_docker b image inspect "$SW_BASE_TAG" >/dev/null 2>&1; then
		tar -C "$SW_CACHE/rootfs" --exclude=./.keepvip-complete -c . |
			sw_docker b import - "$SW_BASE_TAG" >/dev/null || lab_die "docker import failed"
	fi
	hostport=${mirror#http://}
	hostport=${hostport%%/*}
	host=${hostport%%:*}
	port=80
	[ "$host" = "$hostport" ] || port=${hostport##*:}
	socat "UNIX-LISTEN:$SW_DIR/mirror.sock,fork" "TCP:$host:$port" 2>>"$LAB_DIR/relay.log" &
	sw_helper $!
	nsenter --net="/var/run/netns/$(lab_host_ns 1)" socat \
		"TCP-LISTEN:$SW_RELAY_PORT,bind=127.0.0.1,reuseaddr,fork" \
		"UNIX-CONNECT:$SW_DIR/mirror.sock" 2>>"$LAB_DIR/relay.log" &
	sw_helper $!
	local -a build=(build --network host --force-rm --build-arg "BASE_IMAGE=$SW_BASE_TAG"
		--build-arg "http_proxy=http://127.0.0.1:$SW_RELAY_PORT")
	if ! DOCKER_BUILDKIT=0 sw_docker b "${build[@]}" -t "$SW_IMAGE" "$SW_CONTEXT" >"$log" 2>&1; then
		echo "----- build.log (last 40 lines) -----"
		tail -n 40 "$log"
		lab_die "docker build failed (log above)"
	fi
	# Keep the builder stage tagged (its apt layer survives the prune), drop the rest.
	DOCKER_BUILDKIT=0 sw_docker b "${build[@]}" -q --target builder \
		-t keepvip-test/builder:latest "$SW_CONTEXT" >/dev/null
	sw_docker b save -o "$out" "$SW_IMAGE" || lab_die "docker save failed"
	sw_docker b image prune -f >/dev/null
	sw_stop_engine b
	lab_pass "keepvip image built from the Dockerfile and cached ($(du -h "$out" | cut -f1))"
}
