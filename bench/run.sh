#!/usr/bin/env bash
# run.sh — keepvip against keepalived 2.2.7 on the same namespace topology, same settings.
#
#   bench/run.sh [--rounds N] [--quick] [--scale] [--floor MINUTES] [--no-main]
#                [--rt SECONDS] [--cpu-seconds S] [--keepvip PATH] [--keep-raw]
#
# Main comparison (default, N rounds, keepvip and keepalived alternating): 3 nodes, VRRPv3
# unicast, advert 100 ms, priorities 150/100/50, VIP 10.99.0.100/24. Each round of each daemon:
# launch node 1 alone (start -> first gratuitous ARP), add nodes 2 and 3, sample memory, CPU of
# the master over --cpu-seconds, SIGKILL node 1 (failover to node 2), restart it (it preempts),
# SIGTERM it (handover to node 2). The bridge is captured; times come from packet timestamps.
# --scale: one process with 255 instances (VRID 1..255) at 100 ms, a backup beside it.
# --floor M: three nodes at 10 ms adverts with a CPU hog on the last core, M minutes, both
# daemons side by side in two labs; spurious transitions, then SIGKILL failovers.
# --rt S: KEEPVIP_REALTIME_PRIORITY against keepalived's vrrp_rt_priority: four labs side by
# side (keepvip, keepvip + SCHED_RR, keepalived, keepalived + SCHED_RR), three nodes at 10 ms
# adverts each, a CPU hog on every core, S seconds steady; the master's advert gaps.
# --quick: 1 round, 5 s CPU window (a smoke run). Analysis: bench/analyze.py (results/).
set -u -o pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$BENCH_DIR/lib.sh"

ROUNDS=5
CPU_S=30
DO_MAIN=1
DO_SCALE=0
FLOOR_MIN=0
KEEP_RAW=0
KEEPVIP_SRC=$BENCH_DIR/../build/keepvip
SCALE_S=30
FLOOR_KILLS=5
RT_S=0
RT_PRIORITY=50

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
	case $1 in
	--rounds) ROUNDS=$2; shift ;;
	--quick) ROUNDS=1; CPU_S=5; SCALE_S=10; FLOOR_KILLS=2 ;;
	--scale) DO_SCALE=1 ;;
	--floor) FLOOR_MIN=$2; shift ;;
	--rt) RT_S=$2; shift ;;
	--no-main) DO_MAIN=0 ;;
	--cpu-seconds) CPU_S=$2; shift ;;
	--keepvip) KEEPVIP_SRC=$2; shift ;;
	--keep-raw) KEEP_RAW=1 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done

command -v tcpdump >/dev/null || bench_die "tcpdump is needed"
[ -x /usr/sbin/keepalived ] || bench_die "keepalived is needed at /usr/sbin/keepalived"
[ -x "$KEEPVIP_SRC" ] || bench_die "keepvip not found at $KEEPVIP_SRC (build it first)"
RAW=$(mktemp -d /tmp/keepvip-bench.XXXXXX)
# A private copy: a rebuild during the run cannot swap the binary under the bench.
cp "$KEEPVIP_SRC" "$RAW/keepvip"
BENCH_KEEPVIP=$RAW/keepvip
{
	echo "keepvip_sha256 $(sha256sum "$BENCH_KEEPVIP" | cut -c1-16)"
	echo "keepvip_built $(date -u -r "$KEEPVIP_SRC" +%Y-%m-%dT%H:%M:%SZ)"
	echo "keepvip_tree $(git -C "$BENCH_DIR" describe --always --dirty 2>/dev/null || echo unknown)"
} >"$RAW/binary.txt"
bench_traps
# shellcheck disable=SC2016 # expanded by bench_cleanup, after the teardown
[ "$KEEP_RAW" = 1 ] || BENCH_ON_EXIT='rm -rf "$RAW"'
MANIFEST=$RAW/manifest.tsv
: >"$MANIFEST"
bench_log "raw data in $RAW"

VIP=10.99.0.100
ADVERT_MS=100
VRID=51
PRIO=(0 150 100 50)

# peers_of HOST N: every other host's address.
peers_of() {
	local k
	for k in $(seq 1 "$2"); do
		[ "$k" = "$1" ] || host_ip "$k"
	done
}

# ev FILE NAME HOST [VALUES...]: one event line, stamped with CLOCK_REALTIME.
ev() {
	local file=$1
	shift
	printf '%s %s %s\n' "$1" "$(now_us)" "${*:2}" >>"$file"
}

# start_node LAB HOST KIND ADVERT_MS [N]: the standard node of a 3-host (or N-host) lab.
start_node() {
	local n=${5:-3}
	# shellcheck disable=SC2046
	node_start "$1" "$2" "$3" "$RAW" "${PRIO[$2]}" "$4" "$VRID" "$VIP/24" $(peers_of "$2" "$n")
}

# stop_nodes LAB HOSTS...: SIGTERM, then wait (SIGKILL after 3 s).
stop_nodes() {
	local lab=$1 h
	shift
	for h in "$@"; do node_signal "$lab" "$h" TERM; done
	for h in "$@"; do node_wait_gone "$lab" "$h" 3000; done
}

# sample_cpu LAB HOST SECONDS: "NS TICKS WALL_US" spent by the node over SECONDS.
sample_cpu() {
	local a b t0 t1
	a=$(node_cpu "$1" "$2")
	t0=$(now_us)
	sleep "$3"
	b=$(node_cpu "$1" "$2")
	t1=$(now_us)
	awk -v a="$a" -v b="$b" -v w=$((t1 - t0)) 'BEGIN { split(a, x); split(b, y);
		printf "%d %d %d\n", y[1] - x[1], y[2] - x[2], w }'
}

# round_main KIND ROUND: one round of the main comparison.
round_main() {
	local kind=$1 r=$2 tag evf pcap h
	tag=main-$kind-r$r
	evf=$RAW/$tag.events
	pcap=$RAW/$tag.pcap
	: >"$evf"
	for h in 1 2 3; do vip_flush main "$h" "$VIP/24"; done
	capture_start main "$pcap"
	sleep 0.2

	ev "$evf" launch 1
	start_node main 1 "$kind" $ADVERT_MS
	wait_holds main 1 $VIP 5000 || bench_log "$tag: node 1 did not take the VIP at start"
	sleep 0.5
	# Memory of node 1 alone (no other node shares its pages yet), with a per-mapping dump.
	ev "$evf" mem_alone 1 "$(node_memory main 1)"
	for pid in $(node_pids main 1); do cat "/proc/$pid/smaps" >"$RAW/$tag-h1-$pid.smaps"; done
	# keepvip's status server (on, the default) loads libmicrohttpd at its first request: the
	# node's memory once it has been scraped.
	if [ "$kind" = keepvip ]; then
		ip netns exec "$(ns_of main h1)" curl -s -o /dev/null -m 2 http://127.0.0.1:9650/metrics ||
			bench_log "$tag: /metrics did not answer"
		sleep 0.2
		ev "$evf" mem_served 1 "$(node_memory main 1)"
	fi
	start_node main 2 "$kind" $ADVERT_MS
	start_node main 3 "$kind" $ADVERT_MS
	sleep 2
	# Memory: the master (node 1) and a backup (node 2), every process of the node.
	ev "$evf" mem 1 "$(node_memory main 1)"
	ev "$evf" mem 2 "$(node_memory main 2)"
	local cpu_master
	cpu_master=$(sample_cpu main 1 "$CPU_S")
	ev "$evf" cpu 1 "$cpu_master"

	# SIGKILL of the master: every process of node 1 at once, as a crash would.
	node_signal main 1 KILL "$evf" kill
	wait_holds main 2 $VIP 5000 || bench_log "$tag: node 2 did not take over after SIGKILL"
	node_wait_gone main 1 2000
	sleep 0.5
	vip_flush main 1 "$VIP/24"

	# Node 1 comes back and preempts; then SIGTERM hands over to node 2.
	ev "$evf" relaunch 1
	start_node main 1 "$kind" $ADVERT_MS
	wait_holds main 1 $VIP 5000 || bench_log "$tag: restarted node 1 did not preempt"
	sleep 1.5
	node_signal main 1 TERM "$evf" term
	wait_holds main 2 $VIP 5000 || bench_log "$tag: node 2 did not take over after SIGTERM"
	node_wait_gone main 1 3000
	ev "$evf" gone 1
	sleep 0.5
	stop_nodes main 2 3
	capture_stop
	printf 'main\t%s\t%s\t%s\t%s\n' "$kind" "$r" "$pcap" "$evf" >>"$MANIFEST"
	bench_log "$tag done"
}

# scale_conf KIND HOST PRIO PEER: 255 instances, VRID 1..255, 100 ms, one VIP each.
scale_conf() {
	local kind=$1 host=$2 prio=$3 peer=$4 v
	if [ "$kind" = keepvip ]; then
		echo "instances:"
		for v in $(seq 1 255); do
			printf '  - name: VI_%d\n    vips: [10.98.%d.%d/32]\n    vrid: %d\n    interface: eth0\n' \
				"$v" $((v / 200)) $((v % 200 + 1)) "$v"
			printf '    priority: %d\n    advert_ms: 100\n    version: 3\n    peers: %s\n' "$prio" "$peer"
		done
	else
		printf 'global_defs {\n\trouter_id bench_s%d\n\tvrrp_version 3\n}\n' "$host"
		for v in $(seq 1 255); do
			printf 'vrrp_instance VI_%d {\n\tstate BACKUP\n\tinterface eth0\n' "$v"
			printf '\tvirtual_router_id %d\n\tpriority %d\n\tadvert_int 0.1\n' "$v" "$prio"
			printf '\tunicast_src_ip %s\n\tunicast_peer {\n\t\t%s\n\t}\n' "$(host_ip "$host")" "$peer"
			printf '\tvirtual_ipaddress {\n\t\t10.98.%d.%d/32 dev eth0\n\t}\n}\n' \
				$((v / 200)) $((v % 200 + 1))
		done
	fi
}

# round_scale KIND: 255 instances on node 1 (master, priority 150) and node 2 (backup, 100).
round_scale() {
	local kind=$1 tag evf pcap ext held
	tag=scale-$kind
	evf=$RAW/$tag.events
	pcap=$RAW/$tag.pcap
	: >"$evf"
	ext=yml
	[ "$kind" = keepvip ] || ext=conf
	scale_conf "$kind" 1 150 "$(host_ip 2)" >"$RAW/$tag-h1.$ext"
	scale_conf "$kind" 2 100 "$(host_ip 1)" >"$RAW/$tag-h2.$ext"
	capture_start scale "$pcap" "ip proto 112"
	ev "$evf" launch 1
	node_start_conf scale 1 "$kind" "$RAW" "$RAW/$tag-h1.$ext"
	node_start_conf scale 2 "$kind" "$RAW" "$RAW/$tag-h2.$ext"
	sleep 5
	held=$(ip -n "$(ns_of scale h1)" -o -4 addr show dev eth0 | grep -c ' 10\.98\.')
	ev "$evf" held 1 "$held"
	ev "$evf" steady 1
	ev "$evf" mem 1 "$(node_memory scale 1)"
	ev "$evf" mem 2 "$(node_memory scale 2)"
	local c1 c2
	c1=$(node_cpu scale 1)
	c2=$(node_cpu scale 2)
	local t0
	t0=$(now_us)
	sleep "$SCALE_S"
	ev "$evf" cpu 1 "$(awk -v a="$c1" -v b="$(node_cpu scale 1)" -v w=$(($(now_us) - t0)) \
		'BEGIN { split(a, x); split(b, y); printf "%d %d %d", y[1] - x[1], y[2] - x[2], w }')"
	ev "$evf" cpu 2 "$(awk -v a="$c2" -v b="$(node_cpu scale 2)" -v w=$(($(now_us) - t0)) \
		'BEGIN { split(a, x); split(b, y); printf "%d %d %d", y[1] - x[1], y[2] - x[2], w }')"
	ev "$evf" steady_end 1
	stop_nodes scale 1 2
	capture_stop
	printf 'scale\t%s\t1\t%s\t%s\n' "$kind" "$pcap" "$evf" >>"$MANIFEST"
	bench_log "$tag done: node 1 held $held VIPs"
}

# floor_start LAB KIND EVF: the three nodes at 10 ms, settled; the steady window begins.
floor_start() {
	local lab=$1 kind=$2 evf=$3
	ev "$evf" launch 1
	start_node "$lab" 1 "$kind" 10
	wait_holds "$lab" 1 $VIP 5000 || bench_log "floor $kind: node 1 did not take the VIP"
	start_node "$lab" 2 "$kind" 10
	start_node "$lab" 3 "$kind" 10
	# Past the repeated gratuitous ARPs of the start: in the window, a GARP means a transition.
	sleep 6
	ev "$evf" steady 1
}

# floor_kills LAB KIND EVF: FLOOR_KILLS SIGKILL failovers of node 1, each followed by its
# restart and preemption.
floor_kills() {
	local lab=$1 kind=$2 evf=$3
	for _ in $(seq 1 "$FLOOR_KILLS"); do
		node_signal "$lab" 1 KILL "$evf" kill
		wait_holds "$lab" 2 $VIP 3000 || bench_log "floor $kind: node 2 did not take over"
		node_wait_gone "$lab" 1 2000
		sleep 0.3
		vip_flush "$lab" 1 "$VIP/24"
		ev "$evf" relaunch 1
		start_node "$lab" 1 "$kind" 10
		wait_holds "$lab" 1 $VIP 3000 || bench_log "floor $kind: node 1 did not preempt"
		sleep 1
	done
}

# run_floor MINUTES: both daemons side by side (one lab each), CPU hog on the last core.
run_floor() {
	local minutes=$1 kind lab evf hog
	local -A fcap=()
	for kind in keepvip keepalived; do
		lab=fl${kind:4:1}
		lab_make "$lab" 3
		evf=$RAW/floor-$kind.events
		: >"$evf"
		capture_start "$lab" "$RAW/floor-$kind.pcap"
		fcap[$kind]=$BENCH_CAPTURE_PID
	done
	taskset -c "$(($(nproc) - 1))" sh -c 'while :; do :; done' &
	hog=$!
	BENCH_PIDS+=("$hog")
	bench_log "floor: CPU hog pid $hog on CPU $(($(nproc) - 1)); $minutes min steady"
	for kind in keepvip keepalived; do
		ev "$RAW/floor-$kind.events" hog 1 "$(nproc)"
		floor_start "fl${kind:4:1}" "$kind" "$RAW/floor-$kind.events"
	done
	sleep "$(awk -v m="$minutes" 'BEGIN { print m * 60 }')"
	for kind in keepvip keepalived; do
		ev "$RAW/floor-$kind.events" steady_end 1
		ev "$RAW/floor-$kind.events" mem 1 "$(node_memory "fl${kind:4:1}" 1)"
	done
	for kind in keepvip keepalived; do
		floor_kills "fl${kind:4:1}" "$kind" "$RAW/floor-$kind.events"
	done
	kill -KILL "$hog" 2>/dev/null
	wait "$hog" 2>/dev/null
	for kind in keepvip keepalived; do
		lab=fl${kind:4:1}
		stop_nodes "$lab" 1 2 3
		capture_stop "${fcap[$kind]}"
		printf 'floor\t%s\t1\t%s\t%s\n' "$kind" "$RAW/floor-$kind.pcap" \
			"$RAW/floor-$kind.events" >>"$MANIFEST"
	done
	bench_log "floor done"
}

# run_rt SECONDS: the four variants side by side (one lab each), every core loaded by a
# SCHED_OTHER busy loop pinned to it; the steady window of floor_start, no kills.
run_rt() {
	local seconds=$1 variant kind lab cpu hog
	local -a variants=(keepvip keepvip+rt keepalived keepalived+rt) hogs=()
	local -A cap=() lab_of=()
	for variant in "${variants[@]}"; do
		lab=rt$((${#lab_of[@]} + 1))
		lab_of[$variant]=$lab
		[ "${variant#*+}" = rt ] && NODE_RT[$lab]=$RT_PRIORITY
		lab_make "$lab" 3
		: >"$RAW/rt-$variant.events"
		capture_start "$lab" "$RAW/rt-$variant.pcap"
		cap[$variant]=$BENCH_CAPTURE_PID
	done
	for cpu in $(seq 0 $(($(nproc) - 1))); do
		taskset -c "$cpu" sh -c 'while :; do :; done' &
		hog=$!
		hogs+=("$hog")
		BENCH_PIDS+=("$hog")
	done
	bench_log "rt: CPU hogs ${hogs[*]} on every core; SCHED_RR priority $RT_PRIORITY; $seconds s steady"
	for variant in "${variants[@]}"; do
		ev "$RAW/rt-$variant.events" hog 1 "$(nproc)"
		floor_start "${lab_of[$variant]}" "${variant%+rt}" "$RAW/rt-$variant.events"
	done
	sleep "$seconds"
	for variant in "${variants[@]}"; do
		ev "$RAW/rt-$variant.events" steady_end 1
		ev "$RAW/rt-$variant.events" mem 1 "$(node_memory "${lab_of[$variant]}" 1)"
	done
	for hog in "${hogs[@]}"; do
		kill -KILL "$hog" 2>/dev/null
		wait "$hog" 2>/dev/null
	done
	for variant in "${variants[@]}"; do
		stop_nodes "${lab_of[$variant]}" 1 2 3
		capture_stop "${cap[$variant]}"
		printf 'rt\t%s\t1\t%s\t%s\n' "$variant" "$RAW/rt-$variant.pcap" \
			"$RAW/rt-$variant.events" >>"$MANIFEST"
	done
	bench_log "rt done"
}

if [ "$DO_MAIN" = 1 ]; then
	lab_make main 3
	for r in $(seq 1 "$ROUNDS"); do
		# Alternate which daemon goes first, so neither always runs on a warmer machine.
		if [ $((r % 2)) = 1 ]; then order="keepvip keepalived"; else order="keepalived keepvip"; fi
		for kind in $order; do
			round_main "$kind" "$r"
		done
	done
fi
if [ "$DO_SCALE" = 1 ]; then
	lab_make scale 2
	for kind in keepvip keepalived; do
		round_scale "$kind"
	done
fi
if [ "$FLOOR_MIN" != 0 ]; then
	run_floor "$FLOOR_MIN"
fi
if [ "$RT_S" != 0 ]; then
	run_rt "$RT_S"
fi

python3 "$BENCH_DIR/analyze.py" --manifest "$MANIFEST" --out "$BENCH_DIR/results" \
	--floor-minutes "$FLOOR_MIN" --rt-seconds "$RT_S" --rt-priority "$RT_PRIORITY" ||
	bench_die "analysis failed"
