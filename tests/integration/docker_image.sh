#!/usr/bin/env bash
# docker_image.sh — the Dockerfile, built and run for real with Debian's docker.io engine.
#
#   docker_image.sh [KEEPVIP_BINARY]   (root; the binary is only the lab's, the image builds its own)
#
# No registry is reachable, so the base image is made here: debootstrap a minimal Debian
# bookworm from the mirror this machine's apt uses into $KEEPVIP_TEST_CACHE/rootfs (kept and
# reused), `docker import` it. dockerd runs inside the lab's host namespace (nsenter --net:
# `ip netns exec` would remount /sys and hide the cgroup mounts dockerd needs), with its own
# data root, exec root and socket, no bridge and no iptables: nothing outside the namespace
# changes. `--network host` then means that namespace.
#
# The namespace has no route out (nothing is ever added to the root namespace), so apt-get in
# the builder stage reaches the Debian mirror through a relay: socat in the namespace listens
# on 127.0.0.1:3142 and forwards to a unix socket (unix sockets cross network namespaces),
# where a socat in the root namespace connects to the mirror; the build gets
# http_proxy=http://127.0.0.1:3142. The mirror must be plain http (as debootstrap's is).
#
# Asserted: the image builds; it holds keepvip, its libraries, /bin/sh and the CA bundle and
# nothing else; `version` and `check` run in it; started with the seed's env names, host
# network and NET_ADMIN + NET_RAW, the container sends VRRP adverts and holds the VIP on the
# namespace's eth0; `docker stop` (SIGTERM) removes the VIP and the container exits 0.
# Teardown always: container, dockerd (and its containerd), relays, mounts, namespaces.
# Needs: docker.io debootstrap socat (Debian). Cannot run: skipped (77), failed with CI=true.

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CONTEXT=${KEEPVIP_TEST_CONTEXT:-$REPO}   # the build context: this repository
# shellcheck source=lib/netns.sh
. "$HERE/lib/netns.sh"
# shellcheck source=lib/debian_rootfs.sh
. "$HERE/lib/debian_rootfs.sh"

CACHE=${KEEPVIP_TEST_CACHE:-/var/cache/keepvip-test}
DOCKER_BIN=${KEEPVIP_TEST_DOCKER:-/usr/bin/docker}
DOCKERD_BIN=${KEEPVIP_TEST_DOCKERD:-/usr/sbin/dockerd}
BASE_TAG=keepvip-test/bookworm:base
IMAGE_TAG=keepvip/keepvip:test
RELAY_PORT=3142
VIP=10.99.0.100
VRID=42
ADVERT_MS=100
CHECK_PORT=18080

DK_DIR=""           # exec root, socket, pid file, relay socket (short path: socket names)
DK_PID=""           # dockerd
DK_CONTAINER=""
DK_HOST_NS=""
DK_HELPERS=()       # relays and the stand-in balancer (disowned: no job notices)

lab_init docker_image "$@"

# ---------------------------------------------------------------------------------------------
# Teardown: runs before the lab's own cleanup (which deletes the namespaces).

# dk_helper PID: a background helper, stopped by dk_teardown.
dk_helper() {
	DK_HELPERS+=("$1")
	disown "$1"
}

dk_docker() { "$DOCKER_BIN" -H "unix://$DK_DIR/docker.sock" "$@"; }

# shellcheck disable=SC2317 # run from the EXIT trap
dk_teardown() {
	local pid
	if [ -n "$DK_CONTAINER" ] && [ -n "$DK_PID" ]; then
		dk_docker rm -f "$DK_CONTAINER" >/dev/null 2>&1
	fi
	if [ -n "$DK_PID" ] && kill -0 "$DK_PID" 2>/dev/null; then
		kill -TERM "$DK_PID"
		for _ in $(seq 1 150); do
			kill -0 "$DK_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$DK_PID" 2>/dev/null && kill -KILL "$DK_PID"
		wait "$DK_PID" 2>/dev/null
	fi
	for pid in "${DK_HELPERS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	[ -n "$DK_DIR" ] || return 0
	# Whatever dockerd left running from our exec root (containerd, shims), by pid.
	for pid in $(pgrep -f -- "$DK_DIR" 2>/dev/null); do
		[ "$pid" != $$ ] && kill -KILL "$pid" 2>/dev/null
	done
	awk -v d="$DK_DIR" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r |
		while read -r mnt; do umount -l "$mnt" 2>/dev/null; done
	awk -v d="$CACHE/docker" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r |
		while read -r mnt; do umount -l "$mnt" 2>/dev/null; done
	rm -rf "$DK_DIR"
}

# shellcheck disable=SC2317 # the EXIT trap
dk_on_exit() {
	local rc=$?
	trap '' INT TERM    # a second signal must not cut the teardown short
	dk_teardown
	(exit "$rc")
	lab_cleanup
}
trap dk_on_exit EXIT

# ---------------------------------------------------------------------------------------------
# Steps

dk_need() {
	local cmd
	[ "$(id -u)" = 0 ] || lab_cannot_run "needs root (debootstrap, dockerd, namespaces)"
	for cmd in "$DOCKER_BIN" "$DOCKERD_BIN" debootstrap socat nsenter; do
		command -v "$cmd" >/dev/null ||
			lab_cannot_run "$cmd not found (Debian packages: docker.io debootstrap socat)"
	done
}

dk_start_dockerd() {
	mkdir -p "$CACHE/docker"
	DK_DIR=$(mktemp -d /tmp/kvdk.XXXXXX) || lab_die "mktemp failed"
	nsenter --net="/var/run/netns/$DK_HOST_NS" "$DOCKERD_BIN" \
		--data-root "$CACHE/docker" --exec-root "$DK_DIR/exec" \
		--host "unix://$DK_DIR/docker.sock" --pidfile "$DK_DIR/dockerd.pid" \
		--bridge=none --iptables=false --ip6tables=false --ip-masq=false \
		>"$LAB_DIR/dockerd.log" 2>&1 &
	DK_PID=$!
	for _ in $(seq 1 300); do
		dk_docker version >/dev/null 2>&1 && break
		kill -0 "$DK_PID" 2>/dev/null || break
		sleep 0.1
	done
	if ! dk_docker version >/dev/null 2>&1; then
		echo "----- dockerd.log (last 30 lines) -----"
		tail -n 30 "$LAB_DIR/dockerd.log"
		lab_die "dockerd did not start in namespace $DK_HOST_NS (log above)"
	fi
	lab_pass "dockerd runs in the lab namespace ($(dk_docker version -f '{{.Server.Version}}'))"
	# The data root is kept (base image, apt layer): what an interrupted run left is ours.
	dk_docker container prune -f >/dev/null
}

dk_base_image() {
	if dk_docker image inspect "$BASE_TAG" >/dev/null 2>&1; then
		return
	fi
	lab_log "importing $CACHE/rootfs as $BASE_TAG"
	tar -C "$CACHE/rootfs" --exclude=./.keepvip-complete -c . |
		dk_docker import - "$BASE_TAG" >/dev/null || lab_die "docker import failed"
}

# The relay that lets apt-get in the build reach the mirror (see the header).
dk_start_relay() {
	local mirror=$1 hostport host port
	hostport=${mirror#http://}
	hostport=${hostport%%/*}
	host=${hostport%%:*}
	port=80
	[ "$host" = "$hostport" ] || port=${hostport##*:}
	socat "UNIX-LISTEN:$DK_DIR/mirror.sock,fork" "TCP:$host:$port" 2>>"$LAB_DIR/relay.log" &
	dk_helper $!
	nsenter --net="/var/run/netns/$DK_HOST_NS" socat \
		"TCP-LISTEN:$RELAY_PORT,bind=127.0.0.1,reuseaddr,fork" \
		"UNIX-CONNECT:$DK_DIR/mirror.sock" 2>>"$LAB_DIR/relay.log" &
	dk_helper $!
	for _ in $(seq 1 100); do
		[ -S "$DK_DIR/mirror.sock" ] && return 0
		sleep 0.05
	done
	lab_die "mirror relay did not start: $(cat "$LAB_DIR/relay.log")"
}

dk_build() {
	local log="$LAB_DIR/build.log"
	lab_log "docker build (log: $log)"
	# The legacy builder (no BuildKit: its frontend would come from a registry).
	local -a build=(build --network host --force-rm
		--build-arg "BASE_IMAGE=$BASE_TAG"
		--build-arg "http_proxy=http://127.0.0.1:$RELAY_PORT")
	if ! DOCKER_BUILDKIT=0 dk_docker "${build[@]}" -t "$IMAGE_TAG" "$CONTEXT" >"$log" 2>&1; then
		echo "----- build.log (last 40 lines) -----"
		tail -n 40 "$log"
		lab_die "docker build failed (log above)"
	fi
	lab_pass "the Dockerfile builds (multi-stage, FROM $BASE_TAG)"
	# The kept data root stays bounded: tag the builder stage (cached, instant) so that its
	# apt layer survives, then drop what earlier runs left untagged.
	DOCKER_BUILDKIT=0 dk_docker "${build[@]}" -q --target builder \
		-t keepvip-test/builder:latest "$CONTEXT" >/dev/null &&
		dk_docker image prune -f >/dev/null
}

# Every path in the runtime image must be keepvip, a library (libcurl, loaded at first use,
# sits under usr/lib), the shell, the CA bundle, or what the engine itself puts into every
# container.
dk_check_contents() {
	local id files extra
	id=$(dk_docker create "$IMAGE_TAG") || lab_die "docker create failed"
	files=$(dk_docker export "$id" | tar -t | sed 's|/$||' | sort)
	dk_docker rm "$id" >/dev/null
	extra=$(printf '%s\n' "$files" | grep -vxE \
		'usr|usr/bin|usr/bin/keepvip|bin|bin/dash|bin/sh|etc|etc/ssl|etc/ssl/certs|etc/ssl/certs/ca-certificates\.crt|lib|lib64|lib64/ld-linux[^/]*|lib/[a-z0-9_-]+-linux-gnu|lib/[a-z0-9_-]+-linux-gnu/lib[^/]+\.so[.0-9]*|usr/lib|usr/lib/[a-z0-9_-]+-linux-gnu|usr/lib/[a-z0-9_-]+-linux-gnu/lib[^/]+\.so[.0-9]*|\.dockerenv|dev|dev/.*|proc|sys|etc/hosts|etc/hostname|etc/resolv\.conf|etc/mtab')
	lab_expect "runtime image holds only keepvip, its libraries, sh and CA certs${extra:+ (extra: $(echo "$extra" | head -n 5 | tr '\n' ' '))}" \
		[ -z "$extra" ]
	lab_expect "runtime image has keepvip" lab_some_line_matches "$files" '^usr/bin/keepvip$'
	lab_expect "runtime image has no package manager" \
		lab_no_line_matches "$files" 'dpkg|apt|usr/share'
	lab_expect_eq "image entrypoint" '["/usr/bin/keepvip"] ["run"]' \
		"$(dk_docker image inspect -f '{{json .Config.Entrypoint}} {{json .Config.Cmd}}' "$IMAGE_TAG")"
}

dk_check_commands() {
	local out
	local version
	version=$(sed -n 's/^project(keepvip VERSION \([0-9.]*\).*/\1/p' "$CONTEXT/CMakeLists.txt")
	out=$(dk_docker run --rm "$IMAGE_TAG" version 2>&1)
	lab_expect_eq "keepvip version runs in the image" "keepvip $version" "$out"
	out=$(dk_docker run --rm --network host -e VIRTUAL_IP="$VIP" -e VRID="$VRID" \
		-e KEEPVIP_ORCHESTRATOR=static "$IMAGE_TAG" check 2>&1)
	lab_expect "keepvip check passes in the image" lab_some_line_matches "$out" "vrid: $VRID"
}

# A stand-in for the local load balancer, for CHECK_PORT.
dk_start_balancer() {
	nsenter --net="/var/run/netns/$DK_HOST_NS" socat \
		"TCP-LISTEN:$CHECK_PORT,bind=127.0.0.1,reuseaddr,fork" SYSTEM:true \
		2>>"$LAB_DIR/balancer.log" &
	dk_helper $!
}

dk_run_daemon() {
	local bound rc wire adverts
	# shellcheck disable=SC2119 # the default filter (VRRP)
	lab_capture_start || lab_log "no capture: wire checks skipped"
	# The seed's env names, as a stack written for its image passes them.
	DK_CONTAINER=keepvip-test-$$
	dk_docker run -d --name "$DK_CONTAINER" --label keepvip-test=1 \
		--network host --cap-add NET_ADMIN --cap-add NET_RAW \
		-e VIRTUAL_IP="$VIP" -e NETMASK_BIT=24 -e INTERFACE=eth0 -e VRID="$VRID" \
		-e CHECK_PORT="$CHECK_PORT" -e KEEPVIP_ADVERT_MS="$ADVERT_MS" \
		-e KEEPVIP_ORCHESTRATOR=static \
		"$IMAGE_TAG" >/dev/null || lab_die "docker run failed"

	# Master_Down_Interval, plus the check's rise (2 x 1 s) and the container's start.
	bound=$(lab_add_ms "$(lab_master_down_ms "$ADVERT_MS" 100)" 5000)
	if lab_wait_holder 1 "$VIP" "${bound%.*}"; then
		lab_pass "the container holds $VIP on the namespace's eth0 after $LAB_WAITED_MS ms"
	else
		lab_fail "container holds the VIP" "$VIP not on eth0 after $LAB_WAITED_MS ms"
		dk_docker logs "$DK_CONTAINER" 2>&1 | tail -n 20
	fi
	# Three check intervals: the CHECK_PORT check keeps passing, the VIP stays put.
	local blip
	if blip=$(lab_watch_holders "$VIP" 3000 1); then
		lab_pass "the container keeps the VIP for 3 s (CHECK_PORT $CHECK_PORT healthy)"
	else
		lab_fail "the container keeps the VIP" "$blip"
	fi
	lab_expect "the VIP has the NETMASK_BIT prefix" \
		lab_some_line_matches "$(ip -n "$DK_HOST_NS" -o addr show dev eth0)" "inet $VIP/24 "
	lab_expect "the container logs becoming master" \
		lab_some_line_matches "$(dk_docker logs "$DK_CONTAINER" 2>&1)" 'MASTER'
	# Both libraries loaded at first use are in the image: keepvip status (libcurl) asks the
	# daemon's status server (libmicrohttpd, started by this first connection).
	local status
	status=$(dk_docker exec "$DK_CONTAINER" /usr/bin/keepvip status 2>&1)
	lab_expect "keepvip status in the container shows the instance as MASTER${status:+ ($(head -n 1 <<<"$status"))}" \
		lab_some_line_matches "$status" ' MASTER +prio 100/100'

	dk_docker stop -t 5 "$DK_CONTAINER" >/dev/null
	dk_docker logs "$DK_CONTAINER" >"$LAB_DIR/container.log" 2>&1
	rc=$(dk_docker inspect -f '{{.State.ExitCode}}' "$DK_CONTAINER")
	lab_expect_eq "docker stop: keepvip exits 0 on SIGTERM" 0 "$rc"
	lab_expect "docker stop: the VIP is removed" lab_host_lacks 1 "$VIP"

	if lab_capture_stop; then
		wire=$(lab_capture_text)
		adverts=$(printf '%s\n' "$wire" | grep -cE \
			"$(lab_host_ipv4 1) > 224\.0\.0\.18: VRRPv3, Advertisement, vrid $VRID, prio 100, intvl 10cs")
		lab_expect "the container advertises every $ADVERT_MS ms ($adverts adverts in 3 s)" \
			[ "$adverts" -ge 25 ]
		lab_expect "its last advert has priority 0 (handover)" \
			lab_some_line_matches "$(printf '%s\n' "$wire" | tail -n 1)" "vrid $VRID, prio 0"
	fi
}

# ---------------------------------------------------------------------------------------------

dk_need
MIRROR=$(debian_mirror)
[ -n "$MIRROR" ] || lab_die "no plain-http Debian mirror in apt's sources (set KEEPVIP_TEST_MIRROR)"
lab_up 1
DK_HOST_NS=$(lab_host_ns 1)
debian_rootfs
dk_start_dockerd
dk_base_image
dk_start_relay "$MIRROR"
dk_build
dk_check_contents
dk_check_commands
dk_start_balancer
dk_run_daemon
lab_finish
