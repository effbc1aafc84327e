# shellcheck shell=bash
# lib.sh — the bench's lab: one "switch" network namespace holding a bridge, N host namespaces
# each with a veth "eth0" on it (10.99.0.1K/24 for host K), a capture on the bridge, and the
# two daemons under test started the same way. Sourced by run.sh, never executed.
#
# The namespaces are made by the integration tests' lab (tests/integration/lib/netns.sh:
# lab_ns_make, lab_switch_setup, lab_host_make), one switch and N hosts per bench lab; the
# veth pairs are born in the switch namespace with one end moved straight into the host, so
# nothing is added to the root namespace. A trap kills only the processes the bench started
# (by pid) and deletes every namespace it made.
#
# Every time the analysis needs (launch, kill) is CLOCK_REALTIME in µs, the clock the kernel
# stamps captured packets with, so wire times and signal times can be subtracted.

# shellcheck source=../tests/integration/lib/netns.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../tests/integration/lib/netns.sh"
LAB_NAME=bench           # names the lab in netns.sh's messages

BENCH_PIDS=()            # every background pid the bench started (daemons, capture, hog)
declare -A NODE_PID=()   # "lab:host" -> daemon pid (keepalived: the parent)
BENCH_CAPTURE_PID=""

bench_log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
bench_die() {
	bench_log "error: $*"
	exit 1
}

# now_us: CLOCK_REALTIME in µs without a fork (bash 5 EPOCHREALTIME).
now_us() { echo "${EPOCHREALTIME/[.,]/}"; }

sleep_ms() { sleep "$(awk -v m="$1" 'BEGIN { printf "%.3f", m / 1000 }')"; }

# bench_teardown: kills what the bench started, by pid; deletes its namespaces.
bench_teardown() {
	local pid
	for pid in "${NODE_PID[@]}" "${BENCH_PIDS[@]}"; do
		[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	lab_ns_delete_all
}

# bench_cleanup: the EXIT trap; BENCH_ON_EXIT (a command) runs after the teardown.
bench_cleanup() {
	local rc=$?
	# Ignore further INT/TERM: a second signal must not cut the teardown short.
	trap - EXIT
	trap '' INT TERM
	bench_teardown
	[ -z "${BENCH_ON_EXIT:-}" ] || eval "$BENCH_ON_EXIT"
	exit "$rc"
}

bench_traps() {
	trap bench_cleanup EXIT
	trap 'bench_log interrupted; exit 130' INT
	trap 'bench_log terminated; exit 143' TERM
}

# ns_of LAB HOST: the host's namespace ("sw" is the switch).
ns_of() { echo "kvb$$$1$2"; }
host_ip() { echo "10.99.0.1$1"; }

# lab_make LAB N: switch namespace with a bridge, N hosts on it (IPv4 only).
lab_make() {
	local lab=$1 n=$2 sw k
	[ "$(id -u)" = 0 ] || bench_die "network namespaces need root"
	sw=$(ns_of "$lab" sw)
	lab_ns_make "$sw"
	lab_switch_setup "$sw"
	for k in $(seq 1 "$n"); do
		lab_host_make "$sw" "$(ns_of "$lab" "h$k")" "$k" "$(host_ip "$k")/24"
	done
}

# capture_start LAB FILE [FILTER]: tcpdump on the switch's bridge (VRRP and ARP by default),
# nanosecond kernel timestamps, unbuffered.
capture_start() {
	local lab=$1 file=$2 filter=${3:-ip proto 112 or arp}
	ip netns exec "$(ns_of "$lab" sw)" tcpdump -i br0 -n -U --immediate-mode -Z root -s 128 \
		-B 8192 --time-stamp-precision=nano -w "$file" "$filter" 2>"$file.err" &
	BENCH_CAPTURE_PID=$!
	BENCH_PIDS+=("$BENCH_CAPTURE_PID")
	for _ in $(seq 1 300); do
		grep -q "listening on" "$file.err" 2>/dev/null && return 0
		sleep 0.01
	done
	bench_die "tcpdump did not start: $(cat "$file.err")"
}

# capture_stop [PID]: stops a capture (the last one started by default) and waits for it.
capture_stop() {
	local pid=${1:-$BENCH_CAPTURE_PID}
	sleep 0.1
	kill -INT "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# keepalived_conf HOST PRIO ADVERT_MS VRID VIP PEERS...: one vrrp_instance, the same settings
# keepvip gets: v3, unicast from the host's address to the peers, preempt, starts as BACKUP.
# KA_RT_PRIORITY (when set and not 0): vrrp_rt_priority at that priority and vrrp_no_swap
# (mlockall), keepalived's pair for KEEPVIP_REALTIME_PRIORITY.
keepalived_conf() {
	local host=$1 prio=$2 advert_ms=$3 vrid=$4 vip=$5 peer rt=""
	shift 5
	[ "${KA_RT_PRIORITY:-0}" = 0 ] ||
		rt=$(printf '\tvrrp_rt_priority %s\n\tvrrp_no_swap' "$KA_RT_PRIORITY")
	cat <<EOF
global_defs {
	router_id bench_h$host
	vrrp_version 3
	vrrp_garp_master_delay 0
$rt
}
vrrp_instance VI_$vrid {
	state BACKUP
	interface eth0
	virtual_router_id $vrid
	priority $prio
	advert_int $(awk -v m="$advert_ms" 'BEGIN { printf "%g", m / 1000 }')
	unicast_src_ip $(host_ip "$host")
	unicast_peer {
EOF
	for peer in "$@"; do
		printf '\t\t%s\n' "$peer"
	done
	cat <<EOF
	}
	virtual_ipaddress {
		$vip dev eth0
	}
}
EOF
}

# NODE_RT[LAB]: real-time priority for the daemons of that lab (keepvip:
# KEEPVIP_REALTIME_PRIORITY; keepalived: vrrp_rt_priority + vrrp_no_swap); unset or 0: off.
declare -A NODE_RT=()

# node_start LAB HOST KIND DIR PRIO ADVERT_MS VRID VIP PEERS...: starts one daemon in the
# host's namespace; logs to DIR/KIND-hHOST.log. Prints nothing; NODE_PID gets the pid.
node_start() {
	local lab=$1 host=$2 kind=$3 dir=$4 prio=$5 advert_ms=$6 vrid=$7 vip=$8
	shift 8
	local ns log peers
	ns=$(ns_of "$lab" "h$host")
	log="$dir/$kind-$lab-h$host.log"
	peers=$(
		IFS=,
		echo "$*"
	)
	case $kind in
	keepvip)
		ip netns exec "$ns" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			KEEPVIP_VIPS="$vip" KEEPVIP_INTERFACE=eth0 KEEPVIP_VRID="$vrid" \
			KEEPVIP_PRIORITY="$prio" KEEPVIP_ADVERT_MS="$advert_ms" KEEPVIP_VRRP_VERSION=3 \
			KEEPVIP_PREEMPT=true KEEPVIP_PEERS="$peers" \
			KEEPVIP_ORCHESTRATOR=static KEEPVIP_LOG_LEVEL=info \
			KEEPVIP_REALTIME_PRIORITY="${NODE_RT[$lab]:-0}" \
			"$BENCH_KEEPVIP" run </dev/null >>"$log" 2>&1 &
		;;
	keepalived)
		local conf="$dir/keepalived-$lab-h$host.conf"
		# A killed keepalived leaves its pid files; a reused pid would stop the next start.
		rm -f "$dir/keepalived-$lab-h$host.pid" "$dir/keepalived-$lab-h$host.vrrp.pid"
		KA_RT_PRIORITY=${NODE_RT[$lab]:-0} \
			keepalived_conf "$host" "$prio" "$advert_ms" "$vrid" "$vip" "$@" >"$conf"
		ip netns exec "$ns" /usr/sbin/keepalived -n -l -G -P -f "$conf" \
			-p "$dir/keepalived-$lab-h$host.pid" -r "$dir/keepalived-$lab-h$host.vrrp.pid" \
			</dev/null >>"$log" 2>&1 &
		;;
	*) bench_die "node_start: unknown daemon kind '$kind'" ;;
	esac
	NODE_PID[$lab:$host]=$!
	disown "$!"
}

# node_signal LAB HOST SIGNAL [EVENTS NAME]: signals the daemon (keepalived: its parent, which
# tells the VRRP child). KILL is a crash of the whole node: every process is first stopped
# (SIGSTOP), then killed — keepalived's VRRP child gets SIGTERM when its parent dies
# (PR_SET_PDEATHSIG) and, killed one after the other, can still send a priority-0 goodbye.
# With EVENTS, the line "NAME T_US HOST" is stamped after the pids are known, right before
# the first signal.
node_signal() {
	local lab=$1 host=$2 sig=$3 evf=${4:-} name=${5:-} pids
	pids=${NODE_PID[$lab:$host]}
	[ "$sig" != KILL ] || pids=$(node_pids "$lab" "$host")
	[ -z "$evf" ] || printf '%s %s %s\n' "$name" "$(now_us)" "$host" >>"$evf"
	# shellcheck disable=SC2086 # one word per pid
	if [ "$sig" = KILL ]; then
		kill -STOP $pids 2>/dev/null
		kill -KILL $pids 2>/dev/null
	else
		kill -s "$sig" $pids 2>/dev/null
	fi
}

# pid_alive PID: true while PID runs (a zombie counts as gone).
pid_alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ -n "$stat" ] && [ "${stat:0:1}" != Z ]
}

# node_wait_gone LAB HOST TIMEOUT_MS: waits for the daemon to exit (SIGKILL past the timeout).
node_wait_gone() {
	local lab=$1 host=$2 timeout=$3 pid start
	pid=${NODE_PID[$lab:$host]:-}
	[ -n "$pid" ] || return 0
	start=$(now_us)
	while pid_alive "$pid"; do
		if [ $((($(now_us) - start) / 1000)) -ge "$timeout" ]; then
			# shellcheck disable=SC2046 # one word per pid
			kill -KILL $(node_pids "$lab" "$host") 2>/dev/null
			break
		fi
		sleep 0.01
	done
	unset "NODE_PID[$lab:$host]"
}

# node_pids LAB HOST: the daemon's pid and its descendants' (keepalived: parent + VRRP child).
node_pids() {
	local pid=${NODE_PID[$1:$2]:-}
	[ -n "$pid" ] || return 0
	descendants "$pid" | tr '\n' ' '
}

descendants() {
	local kid
	echo "$1"
	for kid in $(pgrep -P "$1" 2>/dev/null); do
		descendants "$kid"
	done
}

# node_memory LAB HOST: "RSS_KB PSS_KB NPROC", summed over every process of the node
# (/proc/PID/smaps_rollup).
node_memory() {
	local pids p
	pids=$(node_pids "$1" "$2")
	for p in $pids; do cat "/proc/$p/smaps_rollup" 2>/dev/null; done |
		awk -v n="$(wc -w <<<"$pids")" '/^Rss:/ { r += $2 } /^Pss:/ { p += $2 }
			END { printf "%d %d %d\n", r, p, n }'
}

# node_cpu LAB HOST: "NS TICKS", the CPU time used so far by every thread of every process of
# the node: run time in ns (/proc/PID/task/TID/schedstat, first field), then utime + stime in
# clock ticks (/proc/PID/stat).
node_cpu() {
	local pids p
	pids=$(node_pids "$1" "$2")
	{
		for p in $pids; do
			cat /proc/"$p"/task/*/schedstat 2>/dev/null | awk '{ print "ns", $1 }'
			awk '{ sub(/^.*\) /, ""); print "ticks", $12 + $13 }' "/proc/$p/stat" 2>/dev/null
		done
	} | awk '$1 == "ns" { ns += $2 } $1 == "ticks" { t += $2 } END { printf "%d %d\n", ns, t }'
}

# host_holds LAB HOST VIP: true when the host's eth0 holds VIP.
host_holds() {
	grep -q " ${3%%/*}/" <<<"$(ip -n "$(ns_of "$1" "h$2")" -o -4 addr show dev eth0 2>/dev/null)"
}

# wait_holds LAB HOST VIP TIMEOUT_MS: polls until the host holds VIP; 1 on timeout.
wait_holds() {
	local start
	start=$(now_us)
	until host_holds "$1" "$2" "$3"; do
		[ $((($(now_us) - start) / 1000)) -lt "$4" ] || return 1
		sleep 0.01
	done
}

# vip_flush LAB HOST VIP: removes a VIP a killed daemon left behind.
vip_flush() { ip -n "$(ns_of "$1" "h$2")" addr del "$3" dev eth0 2>/dev/null || true; }

# node_start_conf LAB HOST KIND DIR CONF: starts a daemon from a prepared configuration file
# (keepvip: YAML with an instances: list; keepalived: keepalived.conf).
node_start_conf() {
	local lab=$1 host=$2 kind=$3 dir=$4 conf=$5 ns log
	ns=$(ns_of "$lab" "h$host")
	log="$dir/$kind-$lab-h$host.log"
	case $kind in
	keepvip)
		ip netns exec "$ns" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			KEEPVIP_ORCHESTRATOR=static KEEPVIP_LOG_LEVEL=warn \
			"$BENCH_KEEPVIP" run --config "$conf" </dev/null >>"$log" 2>&1 &
		;;
	keepalived)
		rm -f "$dir/keepalived-$lab-h$host.pid" "$dir/keepalived-$lab-h$host.vrrp.pid"
		ip netns exec "$ns" /usr/sbin/keepalived -n -l -G -P -f "$conf" \
			-p "$dir/keepalived-$lab-h$host.pid" -r "$dir/keepalived-$lab-h$host.vrrp.pid" \
			</dev/null >>"$log" 2>&1 &
		;;
	*) bench_die "node_start_conf: unknown daemon kind '$kind'" ;;
	esac
	NODE_PID[$lab:$host]=$!
	disown "$!"
}
