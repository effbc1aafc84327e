#!/usr/bin/env bash
# chaos.sh — the chaos harness (issue 13): N keepvip hosts (3..5, default 4) and a client in
# network namespaces on one bridge (tests/integration/lib/netns.sh), unicast with peer files,
# 100 ms adverts, priorities 200, 160, 120, 80, 40 (host 1 is the master at rest), a script
# health check on every host. Each round injects a fault, heals it, waits for the election to
# settle and checks. Faults (tests/chaos/plan.py draws them from the seed): SIGKILL of the
# master; SIGSTOP of the master (and then of its successor) for 1..5 x Master_Down_Interval;
# link down / carrier loss on the master; 30 % loss + 100 ms ± 50 ms delay on one host or all
# (tc netem where the kernel has sch_netem: on egress; otherwise the userspace netem
# tests/chaos/nfq_delay.py through NFQUEUE: IP both ways, ARP not delayed; iptables loss
# alone as a last resort; the output says which ran); a partition of the bridge into two groups; a flapping health check; 50 SIGHUPs
# in a second on the master; the peer files churning; two of these at once.
#
# Checks, every round: once settled exactly one host holds the VIP, it is MASTER in /status,
# every other host is BACKUP, the client reaches the VIP and its ARP answer comes from the
# holder's MAC; during a partition each group has exactly one holder, and after the heal two
# holders last no longer than Master_Down_Interval (+ a polling margin); a SIGSTOPped master
# that wakes up to a higher-priority master drops the VIP within one advert interval + 200 ms;
# no daemon died that the round did not kill; at the end every daemon exits 0 on SIGTERM and
# no sanitizer report is in any log (ASan build: leaks too, LSan runs at exit).
#
#   chaos.sh [--keepvip PATH] [--seed N] [--rounds R] [--round K] [--hosts N] [--table FILE]
#
# The seed is printed first; `--seed N` replays the whole run, `--seed N --round K` one round
# (with the same --hosts: each round depends on the seed, its number and the host count only,
# and starts from the lab at rest).
# Default 30 rounds (the short mode, ctest chaos.short); `--rounds 300 --table FILE` is the
# long mode. Exit 0 when every round passed, 1 otherwise, 77 when namespaces cannot be made
# (outside CI).
# shellcheck disable=SC2317 # inject_* and heal_* are called by name ("inject_$kind")
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/../integration/lib/netns.sh
. "$HERE/../integration/lib/netns.sh"
# shellcheck source=SCRIPTDIR/nfq.sh
. "$HERE/nfq.sh"

KEEPVIP_PATH=""
SEED=""
ROUNDS=30
ONLY_ROUND=""
HOSTS=4
TABLE=""
ARGS="$*"
while [ $# -gt 0 ]; do
	case $1 in
	--keepvip) KEEPVIP_PATH=$2; shift 2 ;;
	--seed) SEED=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--round) ONLY_ROUND=$2; shift 2 ;;
	--hosts) HOSTS=$2; shift 2 ;;
	--table) TABLE=$2; shift 2 ;;
	*) echo "usage: chaos.sh [--keepvip PATH] [--seed N] [--rounds R] [--round K] [--hosts 3..5] [--table FILE]" >&2
		exit 2 ;;
	esac
done
if [ "$HOSTS" -lt 3 ] || [ "$HOSTS" -gt 5 ]; then
	echo "chaos.sh: --hosts 3..5" >&2
	exit 2
fi
[ -n "$SEED" ] || SEED=$(( $(od -An -N4 -tu4 /dev/urandom) % 1000000 ))
echo "chaos: seed $SEED (replay: $0 --seed $SEED --hosts $HOSTS${ONLY_ROUND:+ --round $ONLY_ROUND})"

VIP=10.99.0.100
ADVERT_MS=100
CLIENT=$((HOSTS + 1))
SETTLE_MS=${CHAOS_SETTLE_MS:-6000}  # bound for the election to settle once a fault is healed
STABLE_MS=${CHAOS_STABLE_MS:-300}   # ... and to stay so (3 adverts)
MARGIN_MS=1500                      # failover bound: Master_Down_Interval + this
POLL_MARGIN_MS=${CHAOS_POLL_MARGIN_MS:-100}  # what polling adds to a measured time

prio_of() { echo $((200 - 40 * ($1 - 1))); }
mdi_of() { lab_master_down_ms $ADVERT_MS "$(prio_of "$1")"; }
mdi_int() { awk -v m="$(mdi_of "$1")" 'BEGIN { printf "%d\n", m + 0.5 }'; }
ms_since() { echo $((($(lab_now_us) - $1) / 1000)); }
# sleep_until T0_US MS: sleeps until MS after T0 (not at all when that is past).
sleep_until() {
	local left=$(($2 - $(ms_since "$1")))
	[ "$left" -le 0 ] || lab_sleep_ms "$left"
}

lab_init chaos "$KEEPVIP_PATH"
lab_up "$CLIENT"
lab_ns_sh "$LAB_SWITCH" ip link add br1 type bridge mcast_snooping 0 stp_state 0
lab_ns_sh "$LAB_SWITCH" ip link set br1 up
command -v curl >/dev/null || lab_cannot_run "curl is not installed"

# netem where the kernel has it; otherwise the userspace netem (nfq_delay.py through NFQUEUE),
# loss and delay both ways; otherwise the loss alone through iptables. Said in the output.
NETEM=netem
if ! ip netns exec "$(lab_host_ns "$CLIENT")" tc qdisc add dev eth0 root netem delay 1ms 2>/dev/null; then
	if nfq_usable "$(lab_host_ns "$CLIENT")" "$LAB_DIR/nfq-probe.log"; then
		NETEM=nfqueue
		echo "chaos: tc netem is not in this kernel: 30 % loss + 100 ± 50 ms delay through NFQUEUE (tests/chaos/nfq_delay.py, in and out of the faulted host's eth0; ARP not delayed)"
	elif command -v iptables >/dev/null; then
		NETEM=iptables-loss
		echo "chaos: neither tc netem nor NFQUEUE here ($(tail -n 1 "$LAB_DIR/nfq-probe.log" 2>/dev/null)): 30 % loss through iptables, no delay"
	else
		lab_cannot_run "neither tc netem nor iptables"
	fi
else
	ip netns exec "$(lab_host_ns "$CLIENT")" tc qdisc del dev eth0 root 2>/dev/null
	echo "chaos: 30 % loss + 100 ± 50 ms delay through tc netem (egress of the faulted host's eth0)"
fi
# What nfq_delay.py did over the run (its last line after each fault): for the table.
NFQ_PACKETS=0
NFQ_DROPPED=0
NFQ_DELAY_SUM_MS=0
NFQ_DELAY_MAX_MS=0
nfq_tally() {
	local line
	line=$(grep '^nfq_delay: queue' "$1" 2>/dev/null | tail -n 1)
	[ -n "$line" ] || return 0
	lab_log "$line"
	read -r NFQ_PACKETS NFQ_DROPPED NFQ_DELAY_SUM_MS NFQ_DELAY_MAX_MS < <(awk -v p="$NFQ_PACKETS" \
		-v d="$NFQ_DROPPED" -v s="$NFQ_DELAY_SUM_MS" -v x="$NFQ_DELAY_MAX_MS" '{
		for (i = 1; i < NF; i++) {
			if ($i == "packets") np = $(i + 1); if ($i == "dropped") nd = $(i + 1)
			if ($i == "mean") m = $(i + 1); if ($i == "max") hi = $(i + 1) }
		printf "%d %d %.1f %.1f\n", p + np, d + nd, s + m * (np - nd), (hi > x ? hi : x) }' <<<"$line")
	: >"$1"
}
nfq_figures() {
	awk -v p="$NFQ_PACKETS" -v d="$NFQ_DROPPED" -v s="$NFQ_DELAY_SUM_MS" -v x="$NFQ_DELAY_MAX_MS" 'BEGIN {
		printf "%d packets through NFQUEUE, %d dropped (%.1f %%), the others delayed %.1f ms on average, %.1f ms at most\n",
			p, d, (p ? 100 * d / p : 0), (p > d ? s / (p - d) : 0), x }'
}

peers_file() { echo "$LAB_DIR/peers$1.txt"; }
health_file() { echo "$LAB_DIR/health$1"; }

# write_peers HOST HOSTNUM...: the host's peer file (replaced atomically), host numbers given.
write_peers() {
	local host=$1 file k
	shift
	file=$(peers_file "$host")
	for k in "$@"; do lab_host_ipv4 "$k"; done >"$file.tmp"
	mv -f "$file.tmp" "$file"
}
all_hosts() { seq 1 "$HOSTS"; }
write_all_peers() {
	local k
	# shellcheck disable=SC2046
	for k in $(all_hosts); do write_peers "$k" $(all_hosts); done
}

config_file() { echo "$LAB_DIR/keepvip$1.yml"; }

# write_config HOST [VARIANT]: the host's settings file, replaced atomically. Variant 1 (the
# SIGHUP storm's other half) lowers the priority by 2 (the order of the hosts stays) and
# changes the check's interval and timeout: a reload that has something to apply in place.
write_config() {
	local host=$1 variant=${2:-0} file
	file=$(config_file "$host")
	cat >"$file.tmp" <<EOF
# host $host, written by tests/chaos/chaos.sh (variant $variant)
orchestrator: static
peers_file: $(peers_file "$host")
vips: $VIP/24
vrid: 51
version: 3
advert_ms: $ADVERT_MS
preempt: true
mode: unicast
priority: $(($(prio_of "$host") - 2 * variant))
checks:
  - script: test -e $(health_file "$host")
    interval_ms: $((100 + 10 * variant))
    timeout_ms: $((100 + 10 * variant))
    rise: 2
    fall: 2
    weight: 0
EOF
	mv -f "$file.tmp" "$file"
}

start_host() {
	write_config "$1"
	LAB_ORCHESTRATOR="" lab_start_keepvip "$1" "KEEPVIP_CONFIG=$(config_file "$1")" \
		KEEPVIP_STATUS_ADDR=0.0.0.0:9650
}

# state_of HOST: the instance's state from the host's /status ("?" when it does not answer).
state_of() {
	local s
	s=$(ip netns exec "$(lab_host_ns "$1")" curl -s -m 1 http://127.0.0.1:9650/status 2>/dev/null |
		grep -o '"state": *"[A-Z]*"' | head -n 1 | grep -o '[A-Z]*"$' | tr -d '"')
	echo "${s:-?}"
}

# ---------------------------------------------------------------------------------------------
# Settling

# settle_to EXPECT T0_US TIMEOUT_MS: EXPECT has one letter per host: M (MASTER and the only
# holder), B (BACKUP), F (FAULT), - (not looked at: stopped, killed, cut off). Waits until
# the holders among the looked-at hosts (and the client) are exactly the M host and every
# state is as expected, STABLE_MS long. SETTLED_MS: from T0 to the start of that stable
# spell. On timeout sets WHY and returns 1.
# DUAL_MS: the longest spell with two holders or more seen on the way (first sample with
# several to the first without).
SETTLED_MS=""
DUAL_MS=0
WHY=""
settle_to() {
	local expect=$1 t0=$2 timeout=$3 since="" k letter want_holders="" holders st ok dual_from="" now looks=0
	local -a letters
	local i
	letters=()
	for ((i = 0; i < ${#expect}; i++)); do letters+=("${expect:i:1}"); done
	for k in $(all_hosts); do
		[ "${letters[$((k - 1))]}" = M ] && want_holders="$want_holders${want_holders:+ }$k"
	done
	while :; do
		ok=1
		holders=""
		for k in $(seq 1 "$CLIENT"); do
			letter=${letters[$((k - 1))]:-B}
			[ "$letter" = - ] && continue
			lab_host_holds "$k" $VIP && holders="$holders${holders:+ }$k"
		done
		now=$(lab_now_us)
		looks=$((looks + 1))
		if [ "${holders// /}" != "$holders" ] && [ -z "$dual_from" ]; then
			# several at the first look: they were there at T0 (the heal) already
			dual_from=$now
			[ "$looks" != 1 ] || dual_from=$t0
		elif [ "${holders// /}" = "$holders" ] && [ -n "$dual_from" ]; then
			[ $(((now - dual_from) / 1000)) -le "$DUAL_MS" ] || DUAL_MS=$(((now - dual_from) / 1000))
			dual_from=""
		fi
		if [ "$holders" != "$want_holders" ]; then
			ok=0
			WHY="holders '$holders', want '$want_holders'"
		else
			for k in $(all_hosts); do
				letter=${letters[$((k - 1))]}
				[ "$letter" = - ] && continue
				st=$(state_of "$k")
				case $letter in M) want=MASTER ;; B) want=BACKUP ;; F) want=FAULT ;; esac
				if [ "$st" != "$want" ]; then
					ok=0
					WHY="host $k is $st, want $want (holders '$holders')"
					break
				fi
			done
		fi
		if [ "$ok" = 1 ]; then
			[ -n "$since" ] || since=$(lab_now_us)
			if [ $((($(lab_now_us) - since) / 1000)) -ge "$STABLE_MS" ]; then
				SETTLED_MS=$(((since - t0) / 1000))
				return 0
			fi
		else
			since=""
		fi
		if [ "$(ms_since "$t0")" -ge "$timeout" ]; then
			WHY="not settled to '$expect' within $timeout ms: $WHY"
			return 1
		fi
		sleep 0.02
	done
}

# client_check HOST: from the client, the VIP's status port answers (the host that owns the
# VIP's ARP) with MASTER, and the client's ARP entry for the VIP is HOST's MAC.
client_check() {
	local host=$1 cns mac_want mac_got st
	cns=$(lab_host_ns "$CLIENT")
	ip -n "$cns" neigh flush dev eth0 2>/dev/null
	st=$(ip netns exec "$cns" curl -s -m 2 "http://$VIP:9650/status" 2>/dev/null |
		grep -o '"state": *"[A-Z]*"' | head -n 1 | grep -o '[A-Z]*"$' | tr -d '"')
	mac_want=$(ip -n "$(lab_host_ns "$host")" -br link show eth0 | awk '{ print $3 }')
	mac_got=$(ip -n "$cns" neigh show "$VIP" dev eth0 | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }')
	if [ "$st" != MASTER ] || [ "$mac_got" != "$mac_want" ]; then
		WHY="client: the VIP answered state '${st:-nothing}' from MAC '${mac_got:-none}', want MASTER from host $host ($mac_want)"
		return 1
	fi
}

# ---------------------------------------------------------------------------------------------
# Faults: inject_KIND HOST PREFIX / heal_KIND HOST PREFIX (PREFIX: where the plan's
# parameters are, P_ for a single fault, A_ / B_ for a double).

param() { local v="$2$1"; echo "${!v:-${3:-}}"; }
BG_PIDS=()
bg_start() {
	"$@" &
	BG_PIDS+=($!)
	lab_track_pid $!
}
bg_wait_all() {
	local pid
	for pid in "${BG_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
		lab_untrack_pid "$pid"
	done
	BG_PIDS=()
}

inject_kill() {
	lab_log "SIGKILL host $1"
	kill -KILL "${LAB_PID[$1]}" 2>/dev/null
	lab_wait_exit "$1" 3000
}
heal_kill() { lab_is_running "$1" || start_host "$1"; }

inject_stop() { lab_log "SIGSTOP host $1"; kill -STOP "${LAB_PID[$1]}"; }
heal_stop() { lab_log "SIGCONT host $1"; kill -CONT "${LAB_PID[$1]}"; }

inject_link() {
	if [ "$(param how "$2")" = carrier ]; then
		lab_log "carrier loss host $1"
		ip -n "$LAB_SWITCH" link set "p$1" down
	else
		lab_log "link down host $1"
		ip -n "$(lab_host_ns "$1")" link set eth0 down
	fi
}
heal_link() {
	ip -n "$LAB_SWITCH" link set "p$1" up
	ip -n "$(lab_host_ns "$1")" link set eth0 up
}

netem_hosts() {
	if [ "$(param scope "$1")" = all ]; then all_hosts; else param host "$1"; fi
}
inject_netem() {
	local k ns
	for k in $(netem_hosts "$2"); do
		ns=$(lab_host_ns "$k")
		lab_log "netem ($NETEM) on host $k"
		if [ "$NETEM" = netem ]; then
			ip netns exec "$ns" tc qdisc replace dev eth0 root netem loss 30% delay 100ms 50ms
		elif [ "$NETEM" = nfqueue ]; then
			# seeded by the run's seed, the round and the host: the draws replay with the round
			nfq_on "$ns" "$SEED/$ROUND/$k" "$LAB_DIR/nfq$k.log" ||
				fail "nfq_delay did not start on host $k: $(tail -n 1 "$LAB_DIR/nfq$k.log")"
		else
			ip netns exec "$ns" iptables -A INPUT -m statistic --mode random --probability 0.3 -j DROP
			ip netns exec "$ns" iptables -A OUTPUT -m statistic --mode random --probability 0.3 -j DROP
		fi
	done
}
heal_netem() {
	local k ns
	for k in $(all_hosts); do
		ns=$(lab_host_ns "$k")
		if [ "$NETEM" = netem ]; then
			ip netns exec "$ns" tc qdisc del dev eth0 root 2>/dev/null
		elif [ "$NETEM" = nfqueue ]; then
			[ -z "${NFQ_PID[$ns]:-}" ] || { nfq_off "$ns"; nfq_tally "$LAB_DIR/nfq$k.log"; }
		else
			ip netns exec "$ns" iptables -F 2>/dev/null
		fi
	done
}

group_b() {
	local k
	for k in ${1//,/ }; do echo "$k"; done
	[ "$2" = 1 ] && echo "$CLIENT"
}
inject_partition() {
	local k
	lab_log "partition: group b = $(param group_b "$2") client_b=$(param client_b "$2")"
	for k in $(group_b "$(param group_b "$2")" "$(param client_b "$2")"); do
		ip -n "$LAB_SWITCH" link set "p$k" master br1
	done
}
heal_partition() {
	local k
	for k in $(seq 1 "$CLIENT"); do
		ip -n "$LAB_SWITCH" link set "p$k" master br0
	done
}

flapper() {
	local file=$1 period=$2 hold=$3 t0
	t0=$(lab_now_us)
	while [ "$(ms_since "$t0")" -lt "$hold" ]; do
		if [ -e "$file" ]; then rm -f "$file"; else : >"$file"; fi
		lab_sleep_ms "$period"
	done
	: >"$file"
}
inject_flap() {
	local host
	host=$(param host "$2" "$1")
	lab_log "health check flaps on host $host"
	bg_start flapper "$(health_file "$host")" "$(param period_ms "$2")" "$(param hold_ms "$2")"
}
# The heals that wait for their background part: the heal is when that part ended.
heal_flap() {
	local k
	bg_wait_all
	for k in $(all_hosts); do : >"$(health_file "$k")"; done
	HEAL_US=$(lab_now_us)
}

# hupper HOST N: N SIGHUPs spread over one second, each after a rewrite of the host's file
# that alternates between its two variants (the last one, N even, is the usual one).
hupper() {
	local host=$1 n=$2 pid=${LAB_PID[$1]} i t0
	t0=$(lab_now_us)
	for i in $(seq 1 "$n"); do
		write_config "$host" $((i % 2))
		kill -HUP "$pid" 2>/dev/null
		sleep_until "$t0" $((i * 1000 / n))
	done
	write_config "$host"
}
inject_hup() {
	lab_log "SIGHUP storm on host $1"
	bg_start hupper "$1" "$(param count "$2" 50)"
}
heal_hup() { bg_wait_all; HEAL_US=$(lab_now_us); }

churner() {
	local step_ms=$1 step host peers
	shift
	for step in "$@"; do
		host=${step%%:*}
		peers=${step#*:}
		# shellcheck disable=SC2086
		write_peers "$host" ${peers//./ }
		lab_sleep_ms "$step_ms"
	done
}
inject_churn() {
	lab_log "peer files churn: $(param steps "$2")"
	# shellcheck disable=SC2046
	bg_start churner "$(param step_ms "$2")" $(param steps "$2")
}
heal_churn() { bg_wait_all; HEAL_US=$(lab_now_us); write_all_peers; }

# hold_of KIND PREFIX: how long the fault lasts before its heal.
hold_of() {
	case $1 in
	stop) awk -v m="$(param mult1 "$2")" -v d="$(mdi_of 1)" 'BEGIN { printf "%d\n", m * d }' ;;
	kill | hup) echo 1000 ;;
	churn) echo 0 ;;
	*) param hold_ms "$2" 1000 ;;
	esac
}

# ---------------------------------------------------------------------------------------------
# Rounds

FAILS=()   # this round's failures
fail() { FAILS+=("$1"); lab_log "FAIL: $1"; }

# round_kill: the master dies; host 2 takes over within its Master_Down_Interval (+ margin);
# the master comes back and preempts.
round_kill() {
	local t0 bound
	t0=$(lab_now_us)
	inject_kill 1 P_
	bound=$(awk -v m="$(mdi_of 2)" -v x=$MARGIN_MS 'BEGIN { printf "%d\n", m + x }')
	settle_to "-M$(printf 'B%.0s' $(seq 3 "$HOSTS"))" "$t0" "$bound" ||
		fail "after SIGKILL of host 1 host 2 did not take over: $WHY"
	DURING_MS=$SETTLED_MS
	lab_sleep_ms "$(param down_ms P_)"
	HEAL_US=$(lab_now_us)
	heal_kill 1
}

# round_stop: SIGSTOP host 1 (the master) for mult1 x MDI; host 2 takes over and is
# SIGSTOPped in turn; host 1 wakes (host 3 or nobody is master meanwhile) and takes the VIP
# back; host 2 wakes, still holding the VIP, to a higher-priority master (host 1): it must
# step down and remove the VIP at once (one advert interval + 200 ms).
round_stop() {
	local t0 t1 d1 d2 bound
	d1=$(awk -v m="$(param mult1 P_)" -v d="$(mdi_of 1)" 'BEGIN { printf "%d\n", m * d }')
	d2=$(awk -v m="$(param mult2 P_)" -v d="$(mdi_of 2)" 'BEGIN { printf "%d\n", m * d }')
	t0=$(lab_now_us)
	inject_stop 1
	if ! lab_wait_holder 2 $VIP $(($(mdi_int 2) + MARGIN_MS)); then
		fail "host 1 stopped: host 2 did not take the VIP"
	fi
	DURING_MS=$(ms_since "$t0")
	t1=$(lab_now_us)
	inject_stop 2
	sleep_until "$t0" "$d1"
	heal_stop 1
	settle_to "M-$(printf 'B%.0s' $(seq 3 "$HOSTS"))" "$(lab_now_us)" "$SETTLE_MS" ||
		fail "host 1 woke while host 2 is stopped: $WHY"
	sleep_until "$t1" "$d2"
	lab_host_holds 2 $VIP || fail "host 2 did not hold the VIP when stopped"
	HEAL_US=$(lab_now_us)
	heal_stop 2
	bound=$((ADVERT_MS + 200))
	if lab_wait_not_holder 2 $VIP 3000; then
		WAKE_MS=$LAB_WAITED_MS
		awk -v w="$WAKE_MS" -v b="$bound" 'BEGIN { exit !(w <= b) }' ||
			fail "host 2 woke to host 1 (higher priority) and kept the VIP $WAKE_MS ms > $bound ms"
	else
		WAKE_MS=3000
		fail "host 2 woke to host 1 (higher priority) and kept the VIP over 3 s"
	fi
}

# round_partition: two groups; each with a keepvip host has exactly one holder (its highest
# priority); after the heal two holders last no longer than Master_Down_Interval (checked
# by run_round as after every heal).
round_partition() {
	local b cb k top_a="" top_b="" want t0 bound
	b=",$(param group_b P_),"
	cb=$(param client_b P_)
	for k in $(all_hosts); do
		if [[ $b == *",$k,"* ]]; then
			[ -n "$top_b" ] || top_b=$k
		else
			[ -n "$top_a" ] || top_a=$k
		fi
	done
	want=$(printf '%s\n' "$top_a" "$top_b" | sort -n | tr '\n' ' ' | sed 's/ $//')
	t0=$(lab_now_us)
	inject_partition 1 P_
	bound=$(($(mdi_int 5) + MARGIN_MS))
	if lab_wait_holders $VIP "$want" "$bound"; then
		DURING_MS=${LAB_WAITED_MS%.*}
	else
		fail "partitioned: each group must have one holder ($want): $LAB_WHY"
	fi
	sleep_until "$t0" "$(param hold_ms P_)"
	HEAL_US=$(lab_now_us)
	heal_partition
	: "$cb"
}

# round_simple KIND: inject on the master, hold, heal.
round_simple() {
	local kind=$1 t0 hold
	hold=$(hold_of "$kind" P_)
	t0=$(lab_now_us)
	"inject_$kind" 1 P_
	if [ "$kind" = link ]; then
		settle_to "F$(printf 'B%.0s' $(seq 2 "$HOSTS") | sed 's/^B/M/')" "$t0" \
			$(($(mdi_int 2) + MARGIN_MS)) || fail "link of host 1 down: host 2 must be master, host 1 FAULT: $WHY"
		DURING_MS=$SETTLED_MS
	fi
	if [ "$kind" = hup ]; then
		# the storm reloads in place: the VIP stays on host 1 alone all along
		local out
		out=$(lab_watch_holders $VIP "$hold" 1) || fail "SIGHUP storm: the VIP moved: $out"
	fi
	sleep_until "$t0" "$hold"
	HEAL_US=$(lab_now_us)
	"heal_$kind" 1 P_
	if [ "$kind" = hup ]; then
		lab_log_lacks_after 1 "$MARK1" 'MASTER -> ' || fail "SIGHUP storm: host 1 left MASTER: $(lab_log_lines 1 'MASTER -> ' | tail -n 1)"
	fi
}

# round_double: two faults at once: A on host 1 (the master), B on host 2 (its successor).
round_double() {
	local hold_a hold_b hold t0
	hold_a=$(hold_of "$KIND_A" A_)
	hold_b=$(hold_of "$KIND_B" B_)
	hold=$((hold_a > hold_b ? hold_a : hold_b))
	t0=$(lab_now_us)
	"inject_$KIND_A" 1 A_
	"inject_$KIND_B" 2 B_
	sleep_until "$t0" "$hold"
	HEAL_US=$(lab_now_us)
	"heal_$KIND_B" 2 B_
	"heal_$KIND_A" 1 A_
}

# lab_rest: the lab back at rest whatever a round left (after a failed round, and the start).
lab_rest() {
	local k
	bg_wait_all
	heal_partition
	heal_netem
	for k in $(all_hosts); do
		heal_link "$k"
		: >"$(health_file "$k")"
		if lab_is_running "$k"; then kill -CONT "${LAB_PID[$k]}"; else start_host "$k"; fi
	done
	write_all_peers
}

RESULTS=""
run_round() {
	local r=$1 k desc settled=-1 status
	ROUND=$r
	unset KIND KIND_A KIND_B "${!P_@}" "${!A_@}" "${!B_@}"
	eval "$(python3 "$HERE/plan.py" "$SEED" "$r" "$HOSTS")"
	desc=${KIND:?plan.py gave no kind}
	[ "$KIND" != double ] || desc="double($KIND_A+$KIND_B)"
	FAILS=()
	DURING_MS=""
	WAKE_MS=""
	HEAL_US=""  # when the round's heal began: settle and two-holder times count from there
	MARK1=$(lab_log_length 1)
	lab_log "round $r: $desc $(set | grep -E '^(P|A|B)_' | tr '\n' ' ')"
	case $KIND in
	kill) round_kill ;;
	stop) round_stop ;;
	partition) round_partition ;;
	double) round_double ;;
	*) round_simple "$KIND" ;;
	esac
	DUAL_MS=0
	if settle_to "M$(printf 'B%.0s' $(seq 2 "$HOSTS"))" "${HEAL_US:-$(lab_now_us)}" "$SETTLE_MS"; then
		settled=$SETTLED_MS
		client_check 1 || fail "$WHY"
	else
		fail "healed: $WHY"
	fi
	# After a heal two holders last no longer than Master_Down_Interval (the longest one, of
	# the lowest priority) + what the polling adds.
	[ "$DUAL_MS" -le $(($(mdi_int "$HOSTS") + POLL_MARGIN_MS)) ] ||
		fail "after the heal two hosts held the VIP for $DUAL_MS ms > Master_Down_Interval $(mdi_of "$HOSTS") ms + $POLL_MARGIN_MS"
	for k in $(all_hosts); do
		if ! lab_is_running "$k"; then
			fail "host $k's daemon died: $(tail -n 3 "$LAB_DIR/host$k.log" | tr '\n' ' ')"
		fi
	done
	if grep -Eq 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error: ' "$LAB_DIR"/host*.log; then
		fail "sanitizer report: $(grep -Ehm1 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error: ' "$LAB_DIR"/host*.log)"
	fi
	status=ok
	if [ "${#FAILS[@]}" -ne 0 ]; then
		status=FAIL
		lab_rest
		settle_to "M$(printf 'B%.0s' $(seq 2 "$HOSTS"))" "$(lab_now_us)" 15000 ||
			lab_die "the lab does not come back to rest after round $r: $WHY"
	fi
	printf 'round %3d %-26s %s settle %s ms%s%s%s\n' "$r" "$desc" "$status" "$settled" \
		"${DURING_MS:+, failover $DURING_MS ms}" ", dual $DUAL_MS ms" \
		"${WAKE_MS:+, woken drop $WAKE_MS ms}"
	for k in "${FAILS[@]}"; do
		printf '    FAIL %s\n    replay: %s --seed %s --hosts %s --round %s\n' "$k" "$0" "$SEED" "$HOSTS" "$r"
	done
	RESULTS+="$r $KIND $status $settled${DURING_MS:+ $DURING_MS}"$'\n'
	[ "$status" = ok ]
}

# ---------------------------------------------------------------------------------------------

write_all_peers
for k in $(all_hosts); do
	: >"$(health_file "$k")"
	start_host "$k"
done
settle_to "M$(printf 'B%.0s' $(seq 2 "$HOSTS"))" "$(lab_now_us)" 10000 ||
	lab_die "the lab did not settle on host 1 at start: $WHY"
lab_pass "lab at rest: host 1 master, hosts 2..$HOSTS backup"

start_us=$(lab_now_us)
failed_rounds=0
if [ -n "$ONLY_ROUND" ]; then
	list=$ONLY_ROUND
else
	list=$(seq 0 $((ROUNDS - 1)))
fi
for r in $list; do
	if run_round "$r"; then
		lab_pass "round $r"
	else
		failed_rounds=$((failed_rounds + 1))
		LAB_FAILED=$((LAB_FAILED + 1))
	fi
done
total_s=$(($(ms_since "$start_us") / 1000))

# shellcheck disable=SC2046 # one argument per host
lab_stop_all_clean $VIP $(all_hosts)

table() {
	echo "# keepvip chaos harness: $(printf '%s' "$RESULTS" | grep -c .) rounds in $total_s s, $failed_rounds failed"
	echo "# seed $SEED, $HOSTS hosts + client, adverts $ADVERT_MS ms, loss/delay by $NETEM"
	[ "$NETEM" != nfqueue ] || echo "# nfqueue: $(nfq_figures)"
	echo "# command: tests/chaos/chaos.sh $ARGS"
	echo "# keepvip: $(git -C "$HERE" describe --always --dirty 2>/dev/null || echo '?'), $(date -u +%Y-%m-%d)"
	echo "# settle: ms from the heal to the election settled (exactly one holder, MASTER, others BACKUP, stable $STABLE_MS ms)"
	echo "# failover: ms from the fault to the next master settled (kill, stop, link, partition)"
	printf '%s' "$RESULTS" | awk '
		{ kind = $2; n[kind]++; if ($3 != "ok") f[kind]++
		  if ($4 >= 0) { s[kind, ++ns[kind]] = $4; if ($4 > w[kind]) w[kind] = $4 }
		  if (NF >= 5 && $5 > fw[kind]) fw[kind] = $5 }
		END {
			printf "%-28s %6s %8s %12s %12s %14s\n", "fault", "rounds", "failures", "median_ms", "worst_ms", "worst_failover"
			for (k in n) {
				m = ns[k]
				for (i = 1; i <= m; i++) a[i] = s[k, i]
				for (i = 2; i <= m; i++) { v = a[i]; j = i - 1; while (j > 0 && a[j] > v) { a[j + 1] = a[j]; j-- } a[j + 1] = v }
				med = m ? a[int((m + 1) / 2)] : -1
				printf "%-28s %6d %8d %12d %12d %14s\n", k, n[k], f[k] + 0, med, w[k] + 0, (k in fw) ? fw[k] : "-"
			}
		}' | { read -r head; echo "$head"; sort; }
}
table
if [ -n "$TABLE" ]; then
	table >"$TABLE"
	echo "chaos: table written to $TABLE"
fi
[ "$NETEM" != nfqueue ] || echo "chaos: $(nfq_figures)"
echo "chaos: seed $SEED, $failed_rounds of $(printf '%s' "$RESULTS" | grep -c .) rounds failed, $total_s s"
lab_finish
