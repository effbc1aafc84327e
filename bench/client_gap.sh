#!/usr/bin/env bash
# client_gap.sh — what a client of the VIP sees, keepvip against keepalived 2.2.7.
#
#   bench/client_gap.sh [--rounds N] [--period-ms MS] [--keepvip PATH] [--keep-raw]
#                       [--out FILE]
#
# The bench's lab (lib.sh: three host namespaces on a bridge, VRRPv3 unicast, advert 100 ms,
# priorities 150/100/50, VIP 10.99.0.100/24) plus a fourth, client namespace (10.99.0.14) on
# the same bridge. Every host runs a TCP listener on 0.0.0.0:7777; the client sends an ICMP
# echo and starts a TCP connect to the VIP every --period-ms (10) and logs every answer
# (client_probe.py). The bridge is captured (VRRP and ARP) as in run.sh. Each round, for each
# daemon (the order alternates), with the three nodes up and node 1 master:
#   sigkill   node 1's host dies: every process of its daemon stopped, the VIP taken off its
#             eth0 while the daemon is frozen (a dead host answers nothing), then SIGKILL;
#             afterwards node 1 is relaunched and preempts ("back");
#   sigkill_only  the daemon alone is killed (as in run.sh): the VIP stays on node 1's eth0,
#             whose kernel keeps answering until the new master's gratuitous ARP; relaunched
#             on top of the VIP it left;
#   sigterm   SIGTERM to node 1 (priority-0 advert, handover); relaunched, preempts;
#   linkdown  node 1's eth0 set down in its namespace; set up again, node 1 preempts;
#   rolling   nodes 1, 2, 3 restarted one after the other (SIGTERM, wait for the exit,
#             launch, wait until node 1 holds the VIP again / 1.5 s, next).
# Analysis: bench/client_gap.py (longest gap between answers per case, the advert blackout on
# the wire for the same case); the table goes to stdout and to --out
# (default bench/results/client-gap.txt).
set -u -o pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$BENCH_DIR/lib.sh"

ROUNDS=3
PERIOD_MS=10
KEEP_RAW=0
KEEPVIP_SRC=$BENCH_DIR/../build/keepvip
OUT=$BENCH_DIR/results/client-gap.txt
PORT=7777
ARGS="$*"

usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
	case $1 in
	--rounds) ROUNDS=$2; shift ;;
	--period-ms) PERIOD_MS=$2; shift ;;
	--keepvip) KEEPVIP_SRC=$2; shift ;;
	--keep-raw) KEEP_RAW=1 ;;
	--out) OUT=$2; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done

command -v tcpdump >/dev/null || bench_die "tcpdump is needed"
[ -x /usr/sbin/keepalived ] || bench_die "keepalived is needed at /usr/sbin/keepalived"
[ -x "$KEEPVIP_SRC" ] || bench_die "keepvip not found at $KEEPVIP_SRC (build it first)"
RAW=$(mktemp -d /tmp/keepvip-client-gap.XXXXXX)
cp "$KEEPVIP_SRC" "$RAW/keepvip"
BENCH_KEEPVIP=$RAW/keepvip
bench_traps
# shellcheck disable=SC2016 # expanded by bench_cleanup, after the teardown
[ "$KEEP_RAW" = 1 ] || BENCH_ON_EXIT='rm -rf "$RAW"'
MANIFEST=$RAW/manifest.tsv
: >"$MANIFEST"
{
	echo "command bench/client_gap.sh $ARGS"
	echo "keepvip_tree $(git -C "$BENCH_DIR" describe --always --dirty 2>/dev/null || echo unknown)"
	echo "keepvip_sha256 $(sha256sum "$BENCH_KEEPVIP" | cut -c1-16)"
	echo "load_before $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$RAW/meta.txt"
bench_log "raw data in $RAW"

VIP=10.99.0.100
ADVERT_MS=100
VRID=51
PRIO=(0 150 100 50)
LAB=cg
CLIENT=4

ev() {
	local file=$1
	shift
	printf '%s %s %s\n' "$1" "$(now_us)" "${*:2}" >>"$file"
}

peers_of() {
	local k
	for k in 1 2 3; do
		[ "$k" = "$1" ] || host_ip "$k"
	done
}

start_node() {
	# shellcheck disable=SC2046
	node_start "$LAB" "$1" "$2" "$RAW" "${PRIO[$1]}" "$ADVERT_MS" "$VRID" "$VIP/24" $(peers_of "$1")
}

host_ns() { ns_of "$LAB" "h$1"; }

# settle: node 1 holds the VIP, then 1.5 s for the gratuitous ARP repeats and the other
# nodes' backup state.
settle() {
	wait_holds "$LAB" 1 $VIP 5000 || bench_log "$1: node 1 did not take the VIP"
	sleep 1.5
}

# relaunch KIND EVF CASE [keep]: node 1 is gone; flush the VIP it left (unless "keep": the
# daemon must then deal with it), launch it, wait until it preempts.
relaunch() {
	local kind=$1 evf=$2 case=$3 keep=${4:-}
	node_wait_gone "$LAB" 1 3000
	[ "$keep" = keep ] || vip_flush "$LAB" 1 "$VIP/24"
	sleep 0.3
	ev "$evf" back 1 "$case"
	start_node 1 "$kind"
	settle "$kind back"
	ev "$evf" back_end 1 "$case"
}

# The daemon alone dies (SIGSTOP + SIGKILL of its processes, as run.sh): the VIP stays on
# node 1's eth0 and its kernel keeps answering until the new master's gratuitous ARP moves
# the client. The relaunched daemon finds the VIP it left.
case_sigkill_only() {
	local kind=$1 evf=$2
	ev "$evf" sigkill_only 1
	node_signal "$LAB" 1 KILL
	wait_holds "$LAB" 2 $VIP 5000 || bench_log "$kind sigkill_only: node 2 did not take over"
	sleep 1.5
	ev "$evf" sigkill_only_end 1
	relaunch "$kind" "$evf" sigkill_only keep
}

case_sigkill() {
	local kind=$1 evf=$2 pids
	pids=$(node_pids "$LAB" 1)
	ev "$evf" sigkill 1
	# shellcheck disable=SC2086 # one word per pid
	kill -STOP $pids 2>/dev/null
	ip -n "$(host_ns 1)" addr del "$VIP/24" dev eth0 2>/dev/null
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null
	wait_holds "$LAB" 2 $VIP 5000 || bench_log "$kind sigkill: node 2 did not take over"
	sleep 1.5
	ev "$evf" sigkill_end 1
	relaunch "$kind" "$evf" sigkill
}

case_sigterm() {
	local kind=$1 evf=$2
	ev "$evf" sigterm 1
	node_signal "$LAB" 1 TERM
	wait_holds "$LAB" 2 $VIP 5000 || bench_log "$kind sigterm: node 2 did not take over"
	sleep 1.5
	ev "$evf" sigterm_end 1
	relaunch "$kind" "$evf" sigterm
}

case_linkdown() {
	local kind=$1 evf=$2
	ev "$evf" linkdown 1
	ip -n "$(host_ns 1)" link set eth0 down
	wait_holds "$LAB" 2 $VIP 5000 || bench_log "$kind linkdown: node 2 did not take over"
	sleep 1.5
	ev "$evf" linkdown_end 1
	ev "$evf" back 1 linkdown
	ip -n "$(host_ns 1)" link set eth0 up
	settle "$kind link up"
	ev "$evf" back_end 1 linkdown
}

case_rolling() {
	local kind=$1 evf=$2 h
	ev "$evf" rolling 0
	for h in 1 2 3; do
		ev "$evf" restart "$h"
		node_signal "$LAB" "$h" TERM
		node_wait_gone "$LAB" "$h" 3000
		vip_flush "$LAB" "$h" "$VIP/24"
		start_node "$h" "$kind"
		if [ "$h" = 1 ]; then settle "$kind rolling"; else sleep 1.5; fi
	done
	ev "$evf" rolling_end 0
}

round() {
	local kind=$1 r=$2 tag evf pcap plog ppid h
	tag=cg-$kind-r$r
	evf=$RAW/$tag.events
	pcap=$RAW/$tag.pcap
	plog=$RAW/$tag.probe
	: >"$evf"
	for h in 1 2 3; do vip_flush "$LAB" "$h" "$VIP/24"; done
	# ICMP too: the echo requests and replies show which host answered the client, and when.
	capture_start "$LAB" "$pcap" "ip proto 112 or arp or icmp"
	start_node 1 "$kind"
	settle "$kind start"
	start_node 2 "$kind"
	start_node 3 "$kind"
	sleep 1.5
	# The client: SCHED_FIFO when the kernel lets it, so the machine's other load delays the
	# probes as little as possible.
	local rt=(chrt -f 10)
	chrt -f 10 true 2>/dev/null || rt=()
	ip netns exec "$(host_ns $CLIENT)" "${rt[@]}" python3 "$BENCH_DIR/client_probe.py" probe \
		"$VIP" "$PORT" "$PERIOD_MS" "$plog" &
	ppid=$!
	BENCH_PIDS+=("$ppid")
	sleep 1
	ev "$evf" load 0 "$(cut -d' ' -f1 /proc/loadavg)"
	case_sigkill "$kind" "$evf"
	case_sigkill_only "$kind" "$evf"
	case_sigterm "$kind" "$evf"
	case_linkdown "$kind" "$evf"
	case_rolling "$kind" "$evf"
	sleep 0.5
	kill -TERM "$ppid" 2>/dev/null
	wait "$ppid" 2>/dev/null
	for h in 1 2 3; do node_signal "$LAB" "$h" TERM; done
	for h in 1 2 3; do node_wait_gone "$LAB" "$h" 3000; done
	# shellcheck disable=SC2119 # the last capture started
	capture_stop
	printf 'client\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$r" "$pcap" "$evf" "$plog" >>"$MANIFEST"
	bench_log "$tag done"
}

lab_make "$LAB" 3
lab_host_make "$(ns_of "$LAB" sw)" "$(host_ns $CLIENT)" "$CLIENT" "$(host_ip $CLIENT)/24"
for h in 1 2 3; do
	ip netns exec "$(host_ns "$h")" python3 "$BENCH_DIR/client_probe.py" listen "$PORT" &
	BENCH_PIDS+=("$!")
done
sleep 0.5
for r in $(seq 1 "$ROUNDS"); do
	if [ $((r % 2)) = 1 ]; then order="keepvip keepalived"; else order="keepalived keepvip"; fi
	for kind in $order; do
		round "$kind" "$r"
	done
done
echo "load_after $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RAW/meta.txt"
mkdir -p "$(dirname "$OUT")"
python3 "$BENCH_DIR/client_gap.py" --manifest "$MANIFEST" --meta "$RAW/meta.txt" \
	--period-ms "$PERIOD_MS" | tee "$OUT" || bench_die "analysis failed"
