# shellcheck shell=bash disable=SC2034 # KA_* results are read by the scenarios
# keepalived.sh — keepalived 2.2.7 (Debian, /usr/sbin/keepalived) as one more router in a lab
# made by netns.sh, for the interop scenarios. Sourced after netns.sh, never executed.
#
#   ka_write_conf 1 51 150 100 3 10.99.0.100/24 peers=10.99.0.12,10.99.0.13
#   ka_start 1                      # keepalived --vrrp in host 1's namespace, log ka1.log
#   ka_stop 1 KILL                  # or TERM
#   lab_expect "keepalived has no complaint" ka_log_clean 1
#
# keepalived forks: a parent that only watches, and the VRRP child that does the protocol.
# Both pids are tracked, so the lab's cleanup trap kills them whatever happens.
#
# A mixed group (keepvip and keepalived, same VRID) is run by ka_interop_* at the end of
# this file; each interop scenario only chooses the version, the family and the mode.

KA_BIN=${KEEPALIVED_BIN:-/usr/sbin/keepalived}
declare -A KA_PID=()       # host -> keepalived parent pid
declare -A KA_VRRP_PID=()  # host -> its VRRP child pid
declare -A KA_WAITER=()    # host -> the subshell waiting for the parent (lab_spawn)

# What keepalived 2.2.7 logs when it rejects or distrusts an advert. Seen in this lab by
# misconfiguring keepvip on purpose: "(VI_1) advertisement interval mismatch mine=1 sec
# rcv'd=2 sec" (v2), "(VI_1) wrong version. Received 3 and expect 2", "(VI_1) ip address
# associated with VRID 52 not present in MASTER advert: 10.99.0.100", "(VI_1) Invalid VRRPv3
# checksum" (keepalived in old_unicast_checksum mode), "(VI_1) advertisement interval updated
# from 100ms to 200ms by master" (v3). From its source (vrrp.c, vrrp_in_chk): "invalid ttl",
# "received an invalid ip number count", "received VRID mismatch", "Invalid packet type",
# "Received packet length mismatch", "header too short", "not a unicast peer", "Setting
# unicast VRRPv3 checksum to old version", "Invalid auth type", "received an invalid passwd".
# Over IPv6 the kernel checks the VRRP checksum (IPV6_CHECKSUM) and drops a bad one silently.
KA_COMPLAINT_RE='checksum|ttl|invalid|mismatch|wrong|bad |discard|ignor|too short|not present|not a unicast peer|interval (changed|updated)|auth|passwd|malformed|unknown'
# ...except the normal life of a preempting backup: "(VI_1) received lower priority (100)
# advert from 10.99.0.12 - discarding" (RFC 5798 §6.4.2 "Discard the ADVERTISEMENT").
KA_BENIGN_RE='received lower priority \([0-9]+\) advert from [0-9a-f.:]+ - discarding$'

# ka_has_binary: true when keepalived is installed (a scenario skips, like a missing namespace,
# when it is not).
ka_has_binary() { [ -x "$KA_BIN" ]; }

# ka_conf_file HOST / ka_log_file HOST
ka_conf_file() { echo "$LAB_DIR/ka$1.conf"; }
ka_log_file() { echo "$LAB_DIR/ka$1.log"; }

# ka_advert_int ADVERT_MS: keepalived's advert_int, in seconds (v3 takes 0.01 steps).
ka_advert_int() { awk -v m="$1" 'BEGIN { printf "%g\n", m / 1000 }'; }

# ka_write_conf HOST VRID PRIORITY ADVERT_MS VERSION VIP [OPTION...]: keepalived.conf for the
# host, one vrrp_instance in state BACKUP on eth0. VIP with its prefix (IPv4 or IPv6).
# OPTIONs: peers=A,B,... (unicast: unicast_src_ip is the host's own address of VIP's family,
# unicast_peer the list), nopreempt, old_unicast_checksum (keepalived < 1.3.6 v3 unicast
# checksum, computed with the multicast group as destination), auth_pass=PASSWORD (VRRPv2
# authentication { auth_type PASS; auth_pass PASSWORD }).
ka_write_conf() {
	local host=$1 vrid=$2 priority=$3 advert_ms=$4 version=$5 vip=$6 option peers="" src
	local auth_pass=""
	shift 6
	local -a extra=() peer_list=()
	for option in "$@"; do
		case $option in
		peers=*)
			peers=${option#peers=}
			IFS=, read -ra peer_list <<<"$peers"
			;;
		nopreempt) extra+=("nopreempt") ;;
		old_unicast_checksum) extra+=("old_unicast_checksum") ;;
		auth_pass=*) auth_pass=${option#auth_pass=} ;;
		*) lab_die "ka_write_conf: unknown option $option" ;;
		esac
	done
	if [[ $vip == *:* ]]; then
		src=$(lab_host_ipv6 "$host")
	else
		src=$(lab_host_ipv4 "$host")
	fi
	{
		echo "global_defs {"
		echo "    router_id lab_host$host"
		echo "    vrrp_version $version"
		echo "}"
		echo "vrrp_instance VI_$host {"
		echo "    state BACKUP"
		echo "    interface eth0"
		echo "    virtual_router_id $vrid"
		echo "    priority $priority"
		echo "    advert_int $(ka_advert_int "$advert_ms")"
		echo "    version $version"
		if [ -n "$peers" ]; then
			echo "    unicast_src_ip $src"
			echo "    unicast_peer {"
			printf '        %s\n' "${peer_list[@]}"
			echo "    }"
		fi
		[ "${#extra[@]}" -eq 0 ] || printf '    %s\n' "${extra[@]}"
		if [ -n "$auth_pass" ]; then
			echo "    authentication {"
			echo "        auth_type PASS"
			echo "        auth_pass $auth_pass"
			echo "    }"
		fi
		echo "    virtual_ipaddress {"
		echo "        $vip dev eth0"
		echo "    }"
		echo "}"
	} >"$(ka_conf_file "$host")"
}

# ka_start HOST: keepalived (VRRP only, foreground, logging to the console) in the host's
# namespace with the host's conf, output appended to $LAB_DIR/kaHOST.log, its pid files in
# the lab directory. Waits until the VRRP child is there (KA_VRRP_PID).
ka_start() {
	local host=$1 log pidfile="$LAB_DIR/ka$1.pid" vrrp_pidfile="$LAB_DIR/ka$1.vrrp.pid" tries=0
	log=$(ka_log_file "$host")
	if [ -n "${KA_PID[$host]:-}" ] && lab_pid_alive "${KA_PID[$host]}"; then
		lab_die "host $host already runs keepalived (pid ${KA_PID[$host]})"
	fi
	rm -f "$pidfile" "$vrrp_pidfile"
	printf '%s ===== start keepalived: %s\n' "$(date -u +%H:%M:%S.%3N)" \
		"$(tr -s ' \n' ' ' <"$(ka_conf_file "$host")")" >>"$log"
	# --dont-respawn: a VRRP child killed on purpose stays dead; --no-syslog: the log file only.
	lab_spawn "$host" "$log" "$KA_BIN" --dont-fork --log-console --log-detail --no-syslog \
		--vrrp --dont-respawn -f "$(ka_conf_file "$host")" -p "$pidfile" -r "$vrrp_pidfile" \
		-c "$LAB_DIR/ka$host.checkers.pid" -b "$LAB_DIR/ka$host.bfd.pid"
	KA_PID[$host]=$LAB_SPAWNED
	KA_WAITER[$host]=$LAB_SPAWN_WAITER
	until [ -s "$vrrp_pidfile" ] && lab_pid_alive "$(cat "$vrrp_pidfile")"; do
		tries=$((tries + 1))
		if [ "$tries" -ge 500 ] || ! lab_pid_alive "${KA_PID[$host]}"; then
			tail -n 20 "$log" >&2
			lab_die "host $host: keepalived did not start its VRRP child"
		fi
		sleep 0.01
	done
	KA_VRRP_PID[$host]=$(cat "$vrrp_pidfile")
	lab_track_pid "${KA_VRRP_PID[$host]}"
}

# ka_signal HOST TERM|KILL: TERM is the graceful stop (the parent tells the VRRP child, which
# sends a priority-0 advert and removes its VIPs; keepalived then takes about a second more
# to exit). KILL is a crash: the parent is frozen first (it would otherwise notice its child
# die), then the VRRP child and the parent are SIGKILLed, leaving the VIP on the interface as
# a real crash does. Returns at once: ka_wait_stopped waits for the exit.
ka_signal() {
	local host=$1 sig=$2 parent=${KA_PID[$1]:-} child=${KA_VRRP_PID[$1]:-}
	[ -n "$parent" ] || lab_die "ka_signal: host $host runs no keepalived"
	printf '%s ===== signal %s\n' "$(date -u +%H:%M:%S.%3N)" "$sig" >>"$(ka_log_file "$host")"
	case $sig in
	KILL)
		kill -STOP "$parent" 2>/dev/null
		kill -KILL "$child" "$parent" 2>/dev/null
		;;
	*) kill -s "$sig" "$parent" 2>/dev/null ;;
	esac
}

# ka_wait_stopped HOST [TIMEOUT_MS]: waits (default 3000 ms) until the host's keepalived
# processes are gone; returns 1 when they had to be SIGKILLed after the timeout.
ka_wait_stopped() {
	local host=$1 timeout=${2:-3000} parent=${KA_PID[$1]:-} child=${KA_VRRP_PID[$1]:-}
	local start rc=0
	[ -n "$parent" ] || return 0
	start=$(lab_now_us)
	while lab_pid_alive "$child" || lab_pid_alive "$parent"; do
		if [ "$rc" = 0 ] && [ $((($(lab_now_us) - start) / 1000)) -ge "$timeout" ]; then
			kill -KILL "$child" "$parent" 2>/dev/null
			rc=1
		fi
		sleep 0.005
	done
	wait "${KA_WAITER[$host]}" 2>/dev/null
	lab_untrack_pid "$parent"
	lab_untrack_pid "$child"
	unset "KA_PID[$host]" "KA_VRRP_PID[$host]" "KA_WAITER[$host]"
	return "$rc"
}

# ka_stop HOST TERM|KILL [TIMEOUT_MS]: ka_signal, then ka_wait_stopped.
ka_stop() {
	ka_signal "$1" "$2"
	ka_wait_stopped "$1" "${3:-3000}"
}

# ka_complaints HOST [FROM_LINE]: the lines of the host's keepalived log (after the first
# FROM_LINE lines) in which keepalived rejects or distrusts an advert (the lab's own
# "===== start keepalived: CONF" lines, which may say auth_pass, are not keepalived's).
ka_complaints() {
	tail -n "+$((${2:-0} + 1))" "$(ka_log_file "$1")" | grep -vF ' ===== ' |
		grep -iE -- "$KA_COMPLAINT_RE" | grep -vE -- "$KA_BENIGN_RE"
}

# ka_log_clean HOST [FROM_LINE]: true when keepalived complained about no advert; otherwise
# prints the first complaints (for the FAIL line) and returns 1.
ka_log_clean() {
	local found
	found=$(ka_complaints "$@" | head -n 3)
	[ -z "$found" ] && return 0
	printf '%s\n' "$found" >&2
	return 1
}

# ka_log_length HOST: lines in the host's keepalived log so far.
ka_log_length() { wc -l <"$(ka_log_file "$1")"; }

# ka_dump_logs: the tail of every keepalived log, for a failed run (netns.sh's dump shows the
# keepvip logs).
ka_dump_logs() {
	local f
	for f in "$LAB_DIR"/ka*.log; do
		[ -f "$f" ] || continue
		echo "----- $(basename "$f") (last ${LAB_DUMP_LINES:-40} lines) -----"
		tail -n "${LAB_DUMP_LINES:-40}" "$f"
	done
}

# ---------------------------------------------------------------------------------------------
# A mixed group: keepalived on host 1, keepvip on hosts 2 and 3, one VRID.
#
# The scenario sets, before ka_interop_run:
#   IO_VERSION (2 or 3), IO_ADVERT_MS, IO_VIP (with its prefix), IO_VRID,
#   IO_UNICAST (1: every router advertises to the others' unicast addresses; 0: multicast),
#   and optionally IO_AUTH_PASS (v2: keepvip's KEEPVIP_AUTH_PASS) and IO_KA_AUTH_PASS
#   (keepalived's auth_pass; default IO_AUTH_PASS).
# Host 3 runs keepvip at priority 50 all along: a third router that must never win while one
# of the others runs.
#
# What proves that each side accepts the other's adverts: the election. A router that drops
# its peer's adverts (bad checksum, TTL, interval, address list...) does not stay backup and
# the VIP ends up on two hosts; "exactly one holder" is asserted each time the group settles.
# Besides, keepalived's log must show no complaint (KA_COMPLAINT_RE) and keepvip's no
# "advert from ... dropped" line.

IO_KEEPVIP_DROPPED_RE='advert from .* dropped'

# io_vip_addr: IO_VIP without its prefix.
io_vip_addr() { echo "${IO_VIP%%/*}"; }

# io_host_addr HOST: the host's address of the VIP's family.
io_host_addr() {
	if [[ $IO_VIP == *:* ]]; then lab_host_ipv6 "$1"; else lab_host_ipv4 "$1"; fi
}

# io_advert_src HOST: the source address of the host's adverts: its link-local address for
# IPv6 multicast (RFC 5798 §5.1.2.1), else its address of the VIP's family.
io_advert_src() {
	if [[ $IO_VIP == *:* ]] && [ "$IO_UNICAST" != 1 ]; then
		ip -n "$(lab_host_ns "$1")" -6 -o addr show dev eth0 scope link |
			awk '{ split($4, a, "/"); print a[1]; exit }'
	else
		io_host_addr "$1"
	fi
}

# io_peers_except HOST: the unicast addresses of the lab's other hosts, comma separated.
io_peers_except() {
	local k out=""
	for k in 1 2 3; do
		[ "$k" = "$1" ] || out="$out${out:+,}$(io_host_addr "$k")"
	done
	echo "$out"
}

# io_start_keepvip HOST PRIORITY: keepvip on HOST in the group.
io_start_keepvip() {
	local -a settings=("KEEPVIP_VIPS=$IO_VIP" "KEEPVIP_VRID=$IO_VRID" "KEEPVIP_PRIORITY=$2"
		"KEEPVIP_ADVERT_MS=$IO_ADVERT_MS" "KEEPVIP_VRRP_VERSION=$IO_VERSION")
	if [ "$IO_UNICAST" = 1 ]; then
		# Every host's list holds all three: keepvip drops its own address.
		settings+=("KEEPVIP_PEERS=$(io_host_addr 1),$(io_host_addr 2),$(io_host_addr 3)"
			KEEPVIP_MODE=unicast)
	else
		settings+=(KEEPVIP_MODE=multicast)
	fi
	[ -z "${IO_AUTH_PASS:-}" ] || settings+=("KEEPVIP_AUTH_PASS=$IO_AUTH_PASS")
	lab_start_keepvip "$1" "${settings[@]}"
}

# io_start_keepalived PRIORITY [OPTION...]: keepalived on host 1 in the group (options as
# ka_write_conf's).
io_start_keepalived() {
	local priority=$1
	shift
	local -a options=("$@")
	[ "$IO_UNICAST" != 1 ] || options+=("peers=$(io_peers_except 1)")
	local ka_pass=${IO_KA_AUTH_PASS-${IO_AUTH_PASS:-}}
	[ -z "$ka_pass" ] || options+=("auth_pass=$ka_pass")
	ka_write_conf 1 "$IO_VRID" "$priority" "$IO_ADVERT_MS" "$IO_VERSION" "$IO_VIP" "${options[@]}"
	ka_start 1
}

# io_settle_ms: how long one holder must stay unchanged to call the group settled.
io_settle_ms() { echo $((IO_ADVERT_MS + 1000)); }

# io_expect_settled NAME HOST: HOST alone comes to hold the VIP (a preempting router first
# waits its Master_Down_Interval, so a stable holder is not enough) and keeps it, alone, for
# io_settle_ms.
io_expect_settled() {
	local name=$1 host=$2 vip why
	vip=$(io_vip_addr)
	if ! lab_wait_holders "$vip" "$host" $((IO_ADVERT_MS * 12 + 4000)); then
		lab_fail "$name" "$LAB_WHY"
		return
	fi
	if why=$(lab_watch_holders "$vip" "$(io_settle_ms)" "$host"); then
		lab_pass "$name (after $LAB_WAITED_MS ms, then alone for $(io_settle_ms) ms)"
	else
		lab_fail "$name" "host $host got $vip but the group did not settle: $why"
	fi
}

# io_expect_takeover NAME HOST BOUND_MS SINCE_US: HOST holds the VIP within BOUND_MS of
# SINCE_US (the signal).
io_expect_takeover() {
	local name=$1 host=$2 bound=$3 since=$4
	if lab_wait_holder "$host" "$(io_vip_addr)" $((IO_ADVERT_MS * 20 + 5000)); then
		lab_expect_le "$name" "$(lab_ms_between "$since" "$(lab_now_us)")" "$bound"
	else
		lab_fail "$name" "host $host did not take $(io_vip_addr) (holders '$(lab_holders "$(io_vip_addr)")')"
	fi
}

# io_crash_bound_ms PRIORITY: a backup of PRIORITY notices a crashed master within
# Master_Down_Interval (RFC 5798 §6.1) counted from the master's last advert: at most one
# Advertisement_Interval before the kill; plus 200 ms of slack for a busy machine.
io_crash_bound_ms() { lab_add_ms "$(lab_master_down_ms "$IO_ADVERT_MS" "$1")" $((IO_ADVERT_MS + 200)); }

# io_handover_bound_ms PRIORITY: after a priority-0 advert a backup waits Skew_Time (§6.4.2).
# VRRPv2 Skew_Time is (256 - Priority) / 256 s whatever the interval (RFC 3768 §6.1). Plus
# 300 ms of slack for a busy machine (a 280 ms stall was seen on a loaded 2-CPU host); the
# log lines checked beside it prove which path was taken.
io_handover_bound_ms() {
	local skew
	if [ "$IO_VERSION" = 2 ]; then
		skew=$(awk -v p="$1" 'BEGIN { printf "%.1f\n", (256 - p) * 1000 / 256 }')
	else
		skew=$(lab_skew_ms "$IO_ADVERT_MS" "$1")
	fi
	lab_add_ms "$skew" 300
}

# io_expect_quiet TAG: neither side complained about the other's adverts so far.
io_expect_quiet() {
	local k
	lab_expect "$1: keepalived logged no complaint about an advert" ka_log_clean 1
	for k in 2 3; do
		lab_expect "$1: keepvip on host $k dropped no advert" \
			lab_log_lacks "$k" "$IO_KEEPVIP_DROPPED_RE"
	done
}

# io_signal_keepvip HOST SIGNAL: signals the host's keepvip without waiting for the exit (a
# takeover is timed from the signal). KILL is a crash: the VIP stays behind on the interface.
io_signal_keepvip() {
	printf '%s ===== signal %s\n' "$(date -u +%H:%M:%S.%3N)" "$2" >>"$LAB_DIR/host$1.log"
	kill -s "$2" "${LAB_PID[$1]}"
}

# ka_interop_keepalived_wins: (a) keepalived 150 over keepvip 100 (and 50): keepalived is
# master; SIGKILL it, keepvip takes over; restart it, it preempts back; SIGTERM it, keepvip
# takes over after Skew_Time.
ka_interop_keepalived_wins() {
	local vip since lines
	vip=$(io_vip_addr)
	io_start_keepalived 150
	io_start_keepvip 2 100
	io_start_keepvip 3 50
	io_expect_settled "(a) keepalived (150) is master over keepvip (100, 50)" 1

	since=$(lab_now_us)
	ka_signal 1 KILL
	io_expect_takeover "(a) keepvip (100) takes over after SIGKILL of keepalived" 2 \
		"$(io_crash_bound_ms 100)" "$since"
	ka_wait_stopped 1
	# The crashed keepalived left its VIP behind: the only other holder allowed.
	lab_expect "(a) after the crash: keepvip holds the VIP, besides keepalived's leftover" \
		lab_watch_holders "$vip" "$(io_settle_ms)" "1 2"

	lines=$(lab_log_length 2)
	io_start_keepalived 150
	io_expect_settled "(a) restarted keepalived (150) preempts keepvip" 1
	lab_expect "(a) keepvip stepped down for keepalived's advert" \
		lab_log_has_after 2 "$lines" "MASTER -> BACKUP: higher priority 150 from $(io_advert_src 1)"

	since=$(lab_now_us)
	ka_signal 1 TERM
	io_expect_takeover "(a) keepvip (100) takes over after keepalived's SIGTERM (priority 0)" 2 \
		"$(io_handover_bound_ms 100)" "$since"
	lab_expect "(a) keepalived exits after SIGTERM" ka_wait_stopped 1
	lab_expect "(a) keepvip heard keepalived's priority-0 advert" \
		lab_log_has_after 2 "$lines" "BACKUP -> MASTER: priority-0 advert from $(io_advert_src 1)"
	io_expect_settled "(a) keepvip (100) holds the VIP after keepalived left" 2
	io_expect_quiet "(a)"
}

# ka_interop_keepvip_wins: (b) keepvip 150 over keepalived 100: keepvip preempts keepalived;
# SIGKILL keepvip, keepalived takes over; restart keepvip, it preempts back; SIGTERM keepvip,
# keepalived takes over after Skew_Time. Expects host 2's keepvip running (from (a)).
ka_interop_keepvip_wins() {
	local vip since lines
	vip=$(io_vip_addr)
	# Host 2 leaves: host 3 (keepvip, 50) takes over; keepalived (100) then preempts it.
	lab_stop 2 TERM
	lab_expect_eq "(b) keepvip exits 0 on SIGTERM" 0 "${LAB_RC[2]:-}"
	io_expect_settled "(b) keepvip (50) takes over from keepvip (100)" 3
	lines=$(lab_log_length 3)
	io_start_keepalived 100
	io_expect_settled "(b) keepalived (100) preempts keepvip (50)" 1
	lab_expect "(b) keepvip (50) stepped down for keepalived's advert" \
		lab_log_has_after 3 "$lines" "MASTER -> BACKUP: higher priority 100 from $(io_advert_src 1)"

	lines=$(ka_log_length 1)
	io_start_keepvip 2 150
	io_expect_settled "(b) keepvip (150) preempts keepalived (100)" 2
	lab_expect "(b) keepalived stepped down for keepvip's advert" \
		grep -qF "Entering BACKUP STATE" <(tail -n "+$((lines + 1))" "$(ka_log_file 1)")

	since=$(lab_now_us)
	io_signal_keepvip 2 KILL
	io_expect_takeover "(b) keepalived (100) takes over after SIGKILL of keepvip" 1 \
		"$(io_crash_bound_ms 100)" "$since"
	lab_wait_exit 2 2000
	lab_expect "(b) after the crash: keepalived holds the VIP, besides keepvip's leftover" \
		lab_watch_holders "$vip" "$(io_settle_ms)" "1 2"

	io_start_keepvip 2 150
	io_expect_settled "(b) restarted keepvip (150) clears its leftover and preempts back" 2

	lines=$(ka_log_length 1)
	since=$(lab_now_us)
	io_signal_keepvip 2 TERM
	io_expect_takeover "(b) keepalived (100) takes over after keepvip's SIGTERM (priority 0)" 1 \
		"$(io_handover_bound_ms 100)" "$since"
	lab_wait_exit 2 2000
	lab_expect "(b) keepalived heard keepvip's priority-0 advert" \
		grep -qF "Backup received priority 0 advertisement" <(tail -n "+$((lines + 1))" "$(ka_log_file 1)")
	lab_expect_eq "(b) keepvip exits 0 after handing over" 0 "${LAB_RC[2]:-}"
	io_expect_settled "(b) keepalived holds the VIP after keepvip left" 1
	io_expect_quiet "(b)"
}

# ka_interop_end: keepalived leaves (host 3 takes over), then host 3; nothing is left behind.
ka_interop_end() {
	ka_stop 1 TERM
	io_expect_settled "end: keepvip (50) takes over from keepalived" 3
	lab_stop 3 TERM
	lab_expect_eq "end: keepvip on host 3 exits 0" 0 "${LAB_RC[3]:-}"
	lab_assert_no_holder "end: no VIP left once every router has stopped" "$(io_vip_addr)"
	io_expect_quiet "end"
}

# ka_interop_run: the whole mixed-group scenario, then the tally (and the keepalived logs
# when an assertion failed).
ka_interop_run() {
	ka_interop_keepalived_wins
	ka_interop_keepvip_wins
	ka_interop_end
	ka_interop_finish
}

# ka_interop_finish: lab_finish, showing keepalived's logs first when an assertion failed.
ka_interop_finish() {
	# (the cleanup trap shows the keepvip logs)
	[ "$LAB_FAILED" -eq 0 ] || ka_dump_logs
	lab_finish
}
