# shellcheck shell=bash
# nfq.sh — sourced: the userspace netem (nfq_delay.py) on one lab host, for chaos.sh and its
# self-check (nfq_selfcheck.sh). Needs tests/integration/lib/netns.sh sourced first.
#
# nfq_on NS SEED LOG [nfq_delay.py options...]: starts nfq_delay.py in namespace NS (queue
#   $NFQ_QUEUE), waits until its queue is bound, then sends NS's eth0 traffic through it
#   both ways (iptables and ip6tables INPUT -i eth0 / OUTPUT -o eth0 -j NFQUEUE; lo is left
#   alone so that the harness's own /status queries stay fast). ARP is not delayed (not IP).
#   Returns 1 (the process stopped, nothing left) when the queue cannot be bound.
# nfq_off NS: removes those rules, then SIGTERMs the process (by pid) and waits for it (it
#   lets its held packets out at their due time first, at most delay + jitter).
# nfq_usable NS LOG: true when a queue can be bound and NFQUEUE rules added in NS.
NFQ_QUEUE=${NFQ_QUEUE:-7}
NFQ_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
declare -A NFQ_PID=()

nfq_rules() {
	local ns=$1 op=$2 tool
	for tool in iptables ip6tables; do
		command -v "$tool" >/dev/null || continue
		ip netns exec "$ns" "$tool" "$op" INPUT -i eth0 -j NFQUEUE --queue-num "$NFQ_QUEUE" 2>/dev/null || return 1
		ip netns exec "$ns" "$tool" "$op" OUTPUT -o eth0 -j NFQUEUE --queue-num "$NFQ_QUEUE" 2>/dev/null || return 1
	done
}

nfq_on() {
	local ns=$1 seed=$2 log=$3 ready pid
	shift 3
	ready="$log.ready"
	rm -f "$ready"
	ip netns exec "$ns" python3 "$NFQ_HERE/nfq_delay.py" --queue "$NFQ_QUEUE" --seed "$seed" \
		--ready "$ready" "$@" 2>>"$log" &
	pid=$!
	lab_track_pid "$pid"
	for _ in $(seq 1 100); do
		[ -e "$ready" ] && break
		lab_pid_alive "$pid" || break
		sleep 0.02
	done
	if [ ! -e "$ready" ]; then
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		lab_untrack_pid "$pid"
		return 1
	fi
	rm -f "$ready"
	NFQ_PID[$ns]=$pid
	nfq_rules "$ns" -A || { nfq_off "$ns"; return 1; }
}

nfq_off() {
	local ns=$1 pid=${NFQ_PID[$1]:-}
	while nfq_rules "$ns" -D; do :; done
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	lab_untrack_pid "$pid"
	unset "NFQ_PID[$ns]"
}

nfq_usable() {
	command -v python3 >/dev/null && command -v iptables >/dev/null || return 1
	nfq_on "$1" probe "$2" --loss 0 --delay-ms 0 --jitter-ms 0 || return 1
	nfq_off "$1"
}
