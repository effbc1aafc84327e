# shellcheck shell=bash disable=SC2034 # LAB_* results are read by the scenarios
# netns.sh — the lab every integration scenario runs in. Sourced, never executed.
#
# A lab is one "switch" network namespace holding a bridge, and N host namespaces, each with
# a veth "eth0" plugged into that bridge and addresses 10.99.0.1K/24 and fd99::1K/64 (host K).
# Everything lives in namespaces: the veth pairs are created inside the switch namespace with
# one end placed straight into the host namespace, so nothing is ever added to the root
# namespace (no address, no route, no link).
#
# Usage, in a scenario:
#   . "$(dirname "$0")/lib/netns.sh"
#   lab_init election "${1:-}"      # scenario name (names use its first 3 letters), keepvip path
#   lab_up 3
#   lab_start_keepvip 1 KEEPVIP_PRIORITY=150 ...
#   host=$(lab_wait_settled 10.99.0.100 5000 1000)
#   lab_expect "highest priority wins" [ "$host" = 1 ]
#   lab_finish
#
# Times are in milliseconds everywhere. Hosts are numbered from 1. Output: one "PASS name" or
# "FAIL name: why" line per assertion; lab_finish exits 1 when any assertion failed.
# An EXIT/INT/TERM trap kills only the processes the lab started (by pid) and deletes every
# namespace it made, whatever happened.
#
# When namespaces cannot be made (not root, no CAP_SYS_ADMIN): with CI=true the scenario
# fails (exit 1), otherwise it is skipped (exit 77, ctest SKIP_RETURN_CODE). A scenario that
# must never skip (the demo) sets LAB_NEVER_SKIP=1 before lab_up.

LAB_NAME=""
LAB_PREFIX=""
LAB_DIR=""
LAB_SWITCH=""
LAB_HOSTS=0
LAB_FAILED=0
LAB_PASSED=0
LAB_KEEPVIP=""
LAB_NAMESPACES=()
declare -A LAB_PID=()      # host -> keepvip pid
declare -A LAB_WRAP=()     # host -> the subshell that waits for it (reports its exit status)
declare -A LAB_RC=()       # host -> exit status of its last keepvip
declare -A LAB_STOP_MS=()  # host -> ms the last lab_stop waited for the exit
declare -A LAB_EXIT_US=()  # host -> when its daemon was seen gone (lab_now_us)
LAB_EXTRA_PIDS=()          # other programs lab_spawn started (killed by lab_cleanup)
LAB_SPAWNED=""             # lab_spawn: the pid of the last program started
LAB_SPAWN_WAITER=""        # lab_spawn: the subshell waiting for it
LAB_SPAWN_COUNT=0          # lab_spawn: programs started so far (names their pid files)
LAB_CAPTURE_PID=""
LAB_CAPTURE_FILE=""
LAB_WAITED_MS=0
LAB_WHY=""

# ---------------------------------------------------------------------------------------------
# Reporting

lab_log() { printf '%s %s\n' "$(date -u +%H:%M:%S.%3N)" "$*" >&2; }

lab_pass() {
	LAB_PASSED=$((LAB_PASSED + 1))
	printf 'PASS %s\n' "$1"
}

# lab_fail NAME WHY: records a failed assertion; the scenario goes on and lab_finish exits 1.
lab_fail() {
	LAB_FAILED=$((LAB_FAILED + 1))
	printf 'FAIL %s: %s\n' "$1" "$2"
}

# lab_die WHY: a failure after which the scenario cannot go on (the trap still cleans up).
lab_die() {
	lab_fail "${LAB_NAME:-lab}" "$1"
	exit 1
}

# lab_expect NAME COMMAND...: PASS when COMMAND succeeds, FAIL otherwise.
lab_expect() {
	local name=$1
	shift
	if "$@"; then
		lab_pass "$name"
	else
		local what="$*"
		[ "${#what}" -le 160 ] || what="${what:0:160}..."
		lab_fail "$name" "not true: ${what//$'\n'/ }"
	fi
}

# lab_expect_eq NAME EXPECTED ACTUAL
lab_expect_eq() {
	if [ "$2" = "$3" ]; then
		lab_pass "$1"
	else
		lab_fail "$1" "expected '$2', got '$3'"
	fi
}

# lab_expect_le NAME VALUE_MS BOUND_MS: a timing bound, printed either way.
lab_expect_le() {
	if awk -v v="$2" -v b="$3" 'BEGIN { exit !(v + 0 <= b + 0) }'; then
		lab_pass "$1 ($2 ms <= $3 ms)"
	else
		lab_fail "$1" "$2 ms > bound $3 ms"
	fi
}

# lab_keepvip_is_asan: the daemon under test is an AddressSanitizer build. (Not `ldd | grep -q`:
# with pipefail, grep leaving at the first match can fail the pipeline with ldd's SIGPIPE.)
lab_keepvip_is_asan() { grep -qa __asan_init "$LAB_KEEPVIP" 2>/dev/null; }

# lab_check_sanitizers: a sanitizer report in any daemon's log is a failure (a SIGKILLed
# daemon never reaches its exit status, so the log is the only witness).
lab_check_sanitizers() {
	local f
	[ -n "$LAB_DIR" ] || return 0
	for f in "$LAB_DIR"/host*.log; do
		[ -f "$f" ] || continue
		if grep -Eq 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error: ' "$f"; then
			lab_fail "$(basename "$f" .log): sanitizer" \
				"$(grep -Em1 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error: ' "$f")"
		fi
	done
}

# lab_finish: prints the tally and exits 0 when every assertion passed, 1 otherwise.
lab_finish() {
	lab_check_sanitizers
	printf '%s: %d passed, %d failed\n' "$LAB_NAME" "$LAB_PASSED" "$LAB_FAILED"
	if [ "$LAB_FAILED" -ne 0 ]; then
		exit 1
	fi
	if [ "$LAB_PASSED" -eq 0 ]; then
		echo "FAIL $LAB_NAME: no assertion ran"
		exit 1
	fi
	exit 0
}

# ---------------------------------------------------------------------------------------------
# Clock and arithmetic

# lab_now_us: wall clock in integer µs from bash 5's EPOCHREALTIME (no external command).
lab_now_us() {
	local t=${EPOCHREALTIME/[.,]/}
	echo "$t"
}

# lab_ms_between START_US END_US: elapsed ms with one decimal.
lab_ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", (b - a) / 1000 }'; }

# lab_master_down_ms ADVERT_MS PRIORITY: RFC 5798 §6.1 Master_Down_Interval =
# 3 * Master_Adver_Interval + Skew_Time, Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256.
lab_master_down_ms() {
	awk -v i="$1" -v p="$2" 'BEGIN { printf "%.1f\n", 3 * i + (256 - p) * i / 256 }'
}

# lab_skew_ms ADVERT_MS PRIORITY: RFC 5798 §6.1 Skew_Time.
lab_skew_ms() { awk -v i="$1" -v p="$2" 'BEGIN { printf "%.1f\n", (256 - p) * i / 256 }'; }

# lab_add_ms A B: A + B, for bounds.
lab_add_ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", a + b }'; }

lab_sleep_ms() { sleep "$(awk -v m="$1" 'BEGIN { printf "%.3f", m / 1000 }')"; }

# ---------------------------------------------------------------------------------------------
# Lab life cycle

# lab_init NAME [KEEPVIP_PATH]: names the scenario and finds the daemon (argument, then
# $KEEPVIP_BIN, then build/keepvip beside this file's repository).
lab_init() {
	LAB_NAME=$1
	local here
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	LAB_KEEPVIP=${2:-${KEEPVIP_BIN:-$here/../../../build/keepvip}}
	local short=${LAB_NAME//[^a-z0-9]/}
	LAB_PREFIX="kv${short:0:3}$$"
	LAB_SWITCH="${LAB_PREFIX}sw"
	trap lab_cleanup EXIT
	trap 'lab_log "interrupted"; exit 130' INT
	trap 'lab_log "terminated"; exit 143' TERM
}

# lab_cannot_run WHY: skip (77) outside CI, fail (1) in CI or when LAB_NEVER_SKIP=1.
# lab_must_not_skip: true where a scenario may not skip what it cannot do (CI=true, or
# LAB_NEVER_SKIP=1 as the demo sets).
lab_must_not_skip() { [ "${CI:-}" = "true" ] || [ "${LAB_NEVER_SKIP:-0}" = 1 ]; }

lab_cannot_run() {
	if lab_must_not_skip; then
		lab_fail "$LAB_NAME" "cannot run: $1"
		exit 1
	fi
	echo "SKIP $LAB_NAME: $1"
	exit 77
}

lab_host_ns() { echo "${LAB_PREFIX}h$1"; }
# LAB_IPV4_NET (set before lab_up; default 10.99.0): the hosts' /24, host K is $LAB_IPV4_NET.1K.
lab_host_ipv4() { echo "${LAB_IPV4_NET:-10.99.0}.1$1"; }
lab_host_ipv6() { echo "fd99::1$1"; }

# lab_up N: the switch namespace and N hosts (N <= 9).
lab_up() {
	local n=$1 k
	if [ "$n" -lt 1 ] || [ "$n" -gt 9 ]; then
		lab_die "lab_up: 1..9 hosts, not $n"
	fi
	[ "$(id -u)" = 0 ] || lab_cannot_run "network namespaces need root"
	command -v ip >/dev/null || lab_cannot_run "iproute2 (ip) is not installed"
	if ! ip netns add "$LAB_SWITCH" 2>/dev/null; then
		lab_cannot_run "ip netns add failed (no CAP_SYS_ADMIN?)"
	fi
	LAB_NAMESPACES+=("$LAB_SWITCH")
	[ -x "$LAB_KEEPVIP" ] || lab_die "keepvip binary not found or not executable: $LAB_KEEPVIP"
	LAB_DIR=$(mktemp -d "/tmp/keepvip-$LAB_NAME.XXXXXX") || lab_die "mktemp failed"

	lab_ns_sh "$LAB_SWITCH" ip link set lo up
	lab_switch_setup "$LAB_SWITCH"
	for k in $(seq 1 "$n"); do
		lab_add_host "$k"
	done
	LAB_HOSTS=$n
	lab_log "lab $LAB_PREFIX up: $n hosts, logs in $LAB_DIR"
}

# lab_ns_sh NS COMMAND...: runs COMMAND in NS, dies when it fails.
lab_ns_sh() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@" || lab_die "in $ns: $* failed"
}

lab_add_host() {
	lab_host_make "$LAB_SWITCH" "$(lab_host_ns "$1")" "$1" "$(lab_host_ipv4 "$1")/24" \
		"$(lab_host_ipv6 "$1")/64"
}

# ---------------------------------------------------------------------------------------------
# Namespaces, by name: the parts lab_up is made of, also used by bench/lib.sh for its labs
# (several in one run). Every namespace made here is in LAB_NAMESPACES (deleted by the cleanup).

# lab_ns_make NS: a new namespace with lo up.
lab_ns_make() {
	ip netns add "$1" || lab_die "ip netns add $1 failed"
	LAB_NAMESPACES+=("$1")
	lab_ns_sh "$1" ip link set lo up
}

# lab_switch_setup NS: bridge br0 in NS. The switch is pure layer 2: no IPv6 chatter of its
# own on the wire, no multicast snooping, no STP (ports forward at once).
lab_switch_setup() {
	lab_ns_sh "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	lab_ns_sh "$1" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	lab_ns_sh "$1" ip link add br0 type bridge mcast_snooping 0 stp_state 0
	lab_ns_sh "$1" ip link set br0 up
}

# lab_host_make SWITCH NS K IPV4/PLEN [IPV6/PLEN]: host namespace NS whose eth0 is port pK of
# SWITCH's br0. Without IPV6 the host has IPv6 off (nothing of it on the wire).
lab_host_make() {
	local sw=$1 ns=$2 k=$3 addr4=$4 addr6=${5:-}
	lab_ns_make "$ns"
	if [ -n "$addr6" ]; then
		# No duplicate address detection: addresses (and the link-local one) usable at once.
		lab_ns_sh "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0
		lab_ns_sh "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0
	else
		lab_ns_sh "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		lab_ns_sh "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	fi
	# The pair is born in the switch namespace; its eth0 end goes straight into the host.
	lab_ns_sh "$sw" ip link add "p$k" type veth peer name eth0 netns "$ns"
	lab_ns_sh "$sw" ip link set "p$k" master br0
	lab_ns_sh "$sw" ip link set "p$k" up
	lab_ns_sh "$ns" ip addr add "$addr4" dev eth0
	if [ -n "$addr6" ]; then
		lab_ns_sh "$ns" sysctl -qw net.ipv6.conf.eth0.accept_dad=0
		lab_ns_sh "$ns" ip addr add "$addr6" dev eth0 nodad
	fi
	lab_ns_sh "$ns" ip link set eth0 up
}

# lab_ns_delete_all: deletes every namespace made so far (lab_cleanup; bench's teardown).
lab_ns_delete_all() {
	local ns
	for ns in "${LAB_NAMESPACES[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	LAB_NAMESPACES=()
}

# lab_cleanup: the EXIT trap. Kills what the lab started, by pid, then deletes its namespaces.
lab_cleanup() {
	local rc=$? host ns pid
	# Ignore further INT/TERM: a second signal must not cut the teardown short.
	trap - EXIT
	trap '' INT TERM
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
		if [ "$LAB_FAILED" -eq 0 ]; then
			echo "FAIL ${LAB_NAME:-lab}: scenario aborted (exit $rc, see stderr)"
		fi
		[ -z "$LAB_DIR" ] || lab_dump_logs
	fi
	for host in "${!LAB_PID[@]}"; do
		lab_is_running "$host" && kill -KILL "${LAB_PID[$host]}" 2>/dev/null
		wait "${LAB_WRAP[$host]}" 2>/dev/null
	done
	if [ -n "$LAB_CAPTURE_PID" ]; then
		kill -KILL "$LAB_CAPTURE_PID" 2>/dev/null
		wait "$LAB_CAPTURE_PID" 2>/dev/null
	fi
	for pid in "${LAB_EXTRA_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	lab_ns_delete_all
	if [ -n "$LAB_DIR" ] && [ "${LAB_KEEP:-0}" != 1 ]; then
		rm -rf "$LAB_DIR"
	fi
	exit "$rc"
}

# lab_dump_logs: the tail of every host's log, for a failed run.
lab_dump_logs() {
	local f
	for f in "$LAB_DIR"/host*.log; do
		[ -f "$f" ] || continue
		echo "----- $(basename "$f") (last ${LAB_DUMP_LINES:-40} lines) -----"
		tail -n "${LAB_DUMP_LINES:-40}" "$f"
	done
}

# ---------------------------------------------------------------------------------------------
# Daemons

# The environment every daemon gets unless the scenario overrides it: static settings, no
# status listener, the lab's interface; nothing inherited from the caller's environment
# except the sanitizer options. LAB_ORCHESTRATOR="" leaves KEEPVIP_ORCHESTRATOR out (for a
# scenario whose file names the adapter: env would outrank it).
lab_base_env() {
	local var
	echo "PATH=/usr/sbin:/usr/bin:/sbin:/bin"
	echo "KEEPVIP_INTERFACE=eth0"
	echo "KEEPVIP_STATUS_ADDR=off"
	[ -z "${LAB_ORCHESTRATOR-static}" ] || echo "KEEPVIP_ORCHESTRATOR=${LAB_ORCHESTRATOR-static}"
	echo "KEEPVIP_LOG_LEVEL=${LAB_LOG_LEVEL:-info}"
	for var in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		[ -n "${!var:-}" ] && echo "$var=${!var}"
	done
}

# lab_start_keepvip HOST [NAME=VALUE...]: `keepvip run` in the host's namespace with a clean
# environment (lab_base_env, then the given settings), stderr appended to $LAB_DIR/hostK.log.
lab_start_keepvip() {
	local host=$1
	shift
	local -a env_args
	mapfile -t env_args < <(lab_base_env)
	env_args+=("$@")
	if [ -n "${LAB_PID[$host]:-}" ] && lab_is_running "$host"; then
		lab_die "host $host already runs keepvip (pid ${LAB_PID[$host]})"
	fi
	local log="$LAB_DIR/host$host.log" pidfile="$LAB_DIR/host$host.pid"
	printf '%s ===== start: %s\n' "$(date -u +%H:%M:%S.%3N)" "$*" >>"$log"
	rm -f "$pidfile"
	# A subshell starts the daemon and waits for it: its exit status is the daemon's, and the
	# shell's "Killed" notice lands in the host's log rather than on the scenario's output.
	(
		ip netns exec "$(lab_host_ns "$host")" env -i "${env_args[@]}" "$LAB_KEEPVIP" run \
			</dev/null >>"$log" 2>&1 &
		echo $! >"$pidfile"
		wait $!
	) 2>>"$log" &
	LAB_WRAP[$host]=$!
	local tries=0
	until [ -s "$pidfile" ]; do
		tries=$((tries + 1))
		[ "$tries" -lt 5000 ] || lab_die "host $host: keepvip did not start"
		sleep 0.001
	done
	LAB_PID[$host]=$(cat "$pidfile")
	unset "LAB_RC[$host]"
}

# lab_exec_keepvip HOST COMMAND [NAME=VALUE...]: runs `keepvip COMMAND` to completion in the
# host's namespace (same environment rules as lab_start_keepvip, 10 s at most); its stdout
# and stderr land in $LAB_DIR/exec.out and exec.err. Returns its exit status.
lab_exec_keepvip() {
	local host=$1 command=$2
	shift 2
	local -a env_args
	mapfile -t env_args < <(lab_base_env)
	env_args+=("$@")
	timeout -s KILL 10 ip netns exec "$(lab_host_ns "$host")" env -i "${env_args[@]}" \
		"$LAB_KEEPVIP" "$command" </dev/null >"$LAB_DIR/exec.out" 2>"$LAB_DIR/exec.err"
}

# lab_spawn HOST LOG COMMAND...: starts any program (another VRRP daemon, a capture...) in the
# background in the host's namespace, stdin from /dev/null, stdout and stderr appended to LOG.
# LAB_SPAWNED gets the program's pid (the cleanup trap SIGKILLs it unless lab_untrack_pid
# forgot it first), LAB_SPAWN_WAITER the subshell that waits for it: `wait` on that one
# gives the program's exit status, and the shell's "Killed" notice lands in LOG.
lab_spawn() {
	local host=$1 log=$2 pidfile tries=0
	shift 2
	LAB_SPAWN_COUNT=$((LAB_SPAWN_COUNT + 1))
	pidfile="$LAB_DIR/spawn$LAB_SPAWN_COUNT.pid"
	(
		ip netns exec "$(lab_host_ns "$host")" "$@" </dev/null >>"$log" 2>&1 &
		echo $! >"$pidfile"
		wait $!
	) 2>>"$log" &
	LAB_SPAWN_WAITER=$!
	until [ -s "$pidfile" ]; do
		tries=$((tries + 1))
		[ "$tries" -lt 5000 ] || lab_die "host $host: $1 did not start"
		sleep 0.001
	done
	LAB_SPAWNED=$(cat "$pidfile")
	LAB_EXTRA_PIDS+=("$LAB_SPAWNED")
}

# lab_track_pid PID: one more process for the cleanup trap to SIGKILL (e.g. a child that a
# spawned program forked itself).
lab_track_pid() { LAB_EXTRA_PIDS+=("$1"); }

# lab_untrack_pid PID: the cleanup trap forgets PID (it has exited; its number may be reused).
lab_untrack_pid() {
	local -a kept=()
	local pid
	for pid in "${LAB_EXTRA_PIDS[@]}"; do
		[ "$pid" = "$1" ] || kept+=("$pid")
	done
	LAB_EXTRA_PIDS=("${kept[@]}")
}

# lab_pid_alive PID: true while PID exists and is not a zombie.
lab_pid_alive() {
	local state
	[ -r "/proc/$1/stat" ] || return 1
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# lab_is_running HOST: true while the host's daemon has not exited.
lab_is_running() {
	local pid=${LAB_PID[$1]:-} state
	[ -n "$pid" ] || return 1
	[ -r "/proc/$pid/stat" ] || return 1
	state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# lab_wait_exit HOST TIMEOUT_MS: waits for the daemon to exit; LAB_RC[HOST] gets its status
# (or "timeout"), LAB_EXIT_US[HOST] the time it was seen gone. Returns 0 when it exited in time.
lab_wait_exit() {
	local host=$1 timeout=$2 pid=${LAB_PID[$1]:-} start now rc
	[ -n "$pid" ] || return 1
	start=$(lab_now_us)
	while lab_is_running "$host"; do
		now=$(lab_now_us)
		if [ $(((now - start) / 1000)) -ge "$timeout" ]; then
			LAB_RC[$host]=timeout
			return 1
		fi
		sleep 0.005
	done
	LAB_EXIT_US[$host]=$(lab_now_us)
	wait "${LAB_WRAP[$host]}" 2>/dev/null
	rc=$?
	LAB_RC[$host]=$rc
	LAB_STOP_MS[$host]=$(lab_ms_between "$start" "${LAB_EXIT_US[$host]}")
	unset "LAB_PID[$host]"
	return 0
}

# lab_stop HOST SIGNAL [TIMEOUT_MS]: sends SIGNAL (TERM, INT, KILL...) and waits for the exit
# (default 3000 ms; past it the daemon is SIGKILLed). LAB_RC[HOST] holds the exit status,
# LAB_STOP_MS[HOST] how long the exit took. Returns 1 when it had to be killed.
lab_stop() {
	local host=$1 sig=$2 timeout=${3:-3000} pid=${LAB_PID[$1]:-}
	[ -n "$pid" ] || lab_die "lab_stop: host $host runs no keepvip"
	printf '%s ===== signal %s\n' "$(date -u +%H:%M:%S.%3N)" "$sig" >>"$LAB_DIR/host$host.log"
	kill -s "$sig" "$pid" 2>/dev/null
	if lab_wait_exit "$host" "$timeout"; then
		return 0
	fi
	kill -KILL "$pid" 2>/dev/null
	wait "${LAB_WRAP[$host]}" 2>/dev/null
	unset "LAB_PID[$host]"
	LAB_RC[$host]=timeout
	return 1
}

# lab_stop_all SIGNAL: stops every running daemon.
lab_stop_all() {
	local host
	for host in "${!LAB_PID[@]}"; do
		lab_stop "$host" "$1"
	done
}

# lab_stop_all_clean VIP HOST...: the usual end of a scenario: SIGTERM to every daemon, each
# HOST exits 0, and no host holds VIP afterwards.
lab_stop_all_clean() {
	local vip=$1 host
	shift
	lab_stop_all TERM
	for host in "$@"; do
		lab_expect_eq "host $host exits 0 on SIGTERM" 0 "${LAB_RC[$host]:-}"
	done
	lab_assert_no_holder "no VIP left after every daemon exited" "$vip"
}

# lab_log_has HOST PATTERN: true when the host's log matches the extended regex.
lab_log_has() { grep -Eq -- "$2" "$LAB_DIR/host$1.log"; }

# lab_log_lacks HOST PATTERN: true when no line of the host's log matches.
lab_log_lacks() { ! grep -Eq -- "$2" "$LAB_DIR/host$1.log"; }

# lab_log_length HOST: lines in the host's log so far (to look only at what comes after).
lab_log_length() { wc -l <"$LAB_DIR/host$1.log"; }

# lab_log_has_after HOST LINES PATTERN: PATTERN matches a line after the first LINES lines.
# (grep reads to the end: an early exit would SIGPIPE tail and fail the pipeline under pipefail)
lab_log_has_after() { tail -n "+$(($2 + 1))" "$LAB_DIR/host$1.log" | grep -E -- "$3" >/dev/null; }

# lab_log_lacks_after HOST LINES PATTERN: no line after the first LINES lines matches.
lab_log_lacks_after() { ! lab_log_has_after "$@"; }

# lab_wait_log_after HOST LINES PATTERN TIMEOUT_MS: waits until PATTERN matches a line after
# the first LINES lines of the host's log; sets LAB_WAITED_MS, returns 1 on timeout.
lab_wait_log_after() {
	local start
	start=$(lab_now_us)
	until lab_log_has_after "$1" "$2" "$3"; do
		if [ $((($(lab_now_us) - start) / 1000)) -ge "$4" ]; then
			LAB_WAITED_MS=$(lab_ms_between "$start" "$(lab_now_us)")
			return 1
		fi
		sleep 0.01
	done
	LAB_WAITED_MS=$(lab_ms_between "$start" "$(lab_now_us)")
}

# lab_log_lines HOST PATTERN: matching lines, for a report.
lab_log_lines() { grep -E -- "$2" "$LAB_DIR/host$1.log"; }

# ---------------------------------------------------------------------------------------------
# Who holds the VIP

# lab_host_lacks HOST VIP: true when the host's eth0 does not hold VIP.
lab_host_lacks() { ! lab_host_holds "$1" "$2"; }

# lab_host_holds HOST VIP: true when VIP (with or without /prefix) is on the host's eth0.
lab_host_holds() {
	local vip=${2%%/*}
	ip -n "$(lab_host_ns "$1")" -o addr show dev eth0 2>/dev/null |
		awk -v vip="$vip" '{ split($4, a, "/"); if (a[1] == vip) found = 1 } END { exit !found }'
}

# lab_holders VIP: the hosts holding VIP, space separated, ascending ("" when none).
lab_holders() {
	local k out=""
	for k in $(seq 1 "$LAB_HOSTS"); do
		if lab_host_holds "$k" "$1"; then
			out="$out${out:+ }$k"
		fi
	done
	echo "$out"
}

# lab_wait_master VIP TIMEOUT_MS: waits until exactly one host holds VIP; prints it.
# Returns 1 (printing nothing) on timeout.
lab_wait_master() {
	local vip=$1 timeout=$2 start holders
	start=$(lab_now_us)
	while :; do
		holders=$(lab_holders "$vip")
		if [ -n "$holders" ] && [ "${holders// /}" = "$holders" ]; then
			echo "$holders"
			return 0
		fi
		[ $((($(lab_now_us) - start) / 1000)) -lt "$timeout" ] || return 1
		sleep 0.01
	done
}

# lab_start_trio SETTINGS...: keepvip on hosts 1, 2 and 3 with SETTINGS, at priorities 150,
# 100 and 50 (the lab's usual election: host 1 wins, host 2 is next).
lab_start_trio() {
	lab_start_keepvip 1 "$@" KEEPVIP_PRIORITY=150
	lab_start_keepvip 2 "$@" KEEPVIP_PRIORITY=100
	lab_start_keepvip 3 "$@" KEEPVIP_PRIORITY=50
}

# lab_require_master_1 VIP TIMEOUT_MS STABLE_MS: the election settles on host 1 alone (a PASS
# line), or the scenario cannot go on (lab_die).
lab_require_master_1() {
	local master
	master=$(lab_wait_settled "$1" "$2" "$3")
	[ "$master" = 1 ] || lab_die "election did not settle on host 1 (holders: '$master')"
	lab_pass "host 1 (prio 150) is master"
}

# lab_wait_settled VIP TIMEOUT_MS STABLE_MS: waits until exactly one host has held VIP,
# unchanged, for STABLE_MS; prints it. Returns 1 on timeout (printing the last holders seen).
lab_wait_settled() {
	local vip=$1 timeout=$2 stable=$3 start since="" last="" holders now
	start=$(lab_now_us)
	while :; do
		holders=$(lab_holders "$vip")
		now=$(lab_now_us)
		if [ "$holders" != "$last" ]; then
			last=$holders
			since=$now
		fi
		if [ -n "$holders" ] && [ "${holders// /}" = "$holders" ] &&
			[ $(((now - since) / 1000)) -ge "$stable" ]; then
			echo "$holders"
			return 0
		fi
		if [ $(((now - start) / 1000)) -ge "$timeout" ]; then
			echo "$last"
			return 1
		fi
		sleep 0.02
	done
}

# lab_wait_holder HOST VIP TIMEOUT_MS: polls as fast as it can until HOST holds VIP.
# Sets LAB_WAITED_MS (from the call) and returns 1 on timeout.
lab_wait_holder() {
	local host=$1 vip=$2 timeout=$3 start
	start=$(lab_now_us)
	while ! lab_host_holds "$host" "$vip"; do
		if [ $((($(lab_now_us) - start) / 1000)) -ge "$timeout" ]; then
			LAB_WAITED_MS=$(lab_ms_between "$start" "$(lab_now_us)")
			return 1
		fi
	done
	LAB_WAITED_MS=$(lab_ms_between "$start" "$(lab_now_us)")
	return 0
}

# lab_wait_not_holder HOST VIP TIMEOUT_MS: until HOST no longer holds VIP.
lab_wait_not_holder() {
	local host=$1 vip=$2 timeout=$3 start
	start=$(lab_now_us)
	while lab_host_holds "$host" "$vip"; do
		if [ $((($(lab_now_us) - start) / 1000)) -ge "$timeout" ]; then
			LAB_WAITED_MS=$(lab_ms_between "$start" "$(lab_now_us)")
			return 1
		fi
		sleep 0.005
	done
	LAB_WAITED_MS=$(lab_ms_between "$start" "$(lab_now_us)")
	return 0
}

# lab_watch_holders VIP DURATION_MS EXPECTED: samples the holders for DURATION_MS; true when
# every sample was exactly EXPECTED (e.g. "1", or "" for nobody). Otherwise prints the first
# sample that differed (as "t+MS: HOLDERS") and returns 1.
lab_watch_holders() {
	local vip=$1 duration=$2 expected=$3 start now holders
	start=$(lab_now_us)
	while :; do
		holders=$(lab_holders "$vip")
		now=$(lab_now_us)
		if [ "$holders" != "$expected" ]; then
			echo "t+$(lab_ms_between "$start" "$now") ms: holders '${holders}'"
			return 1
		fi
		[ $(((now - start) / 1000)) -lt "$duration" ] || return 0
		sleep 0.02
	done
}

# lab_wait_holders VIP WANT TIMEOUT_MS [KEEP_HOST]: waits until the holders are exactly WANT
# ("1", "1 3", "" ...); sets LAB_WAITED_MS. With KEEP_HOST, every sample on the way must show
# KEEP_HOST holding VIP (the VIP must not blink there). On failure sets LAB_WHY, returns 1.
# Not to be called in $(...): its results are variables.
lab_wait_holders() {
	local vip=$1 want=$2 timeout=$3 keep=${4:-} start now holders
	start=$(lab_now_us)
	LAB_WHY=""
	while :; do
		holders=$(lab_holders "$vip")
		now=$(lab_now_us)
		LAB_WAITED_MS=$(lab_ms_between "$start" "$now")
		if [ -n "$keep" ] && [[ " $holders " != *" $keep "* ]]; then
			LAB_WHY="host $keep lost $vip at t+$LAB_WAITED_MS ms (holders '$holders')"
			return 1
		fi
		[ "$holders" != "$want" ] || return 0
		if [ $(((now - start) / 1000)) -ge "$timeout" ]; then
			LAB_WHY="holders still '$holders' after $timeout ms, want '$want'"
			return 1
		fi
		sleep 0.01
	done
}

# lab_assert_single_holder NAME VIP [HOST]: exactly one holder (and it is HOST when given).
lab_assert_single_holder() {
	local name=$1 vip=$2 want=${3:-} holders
	holders=$(lab_holders "$vip")
	if [ -z "$holders" ]; then
		lab_fail "$name" "nobody holds $vip"
	elif [ "${holders// /}" != "$holders" ]; then
		lab_fail "$name" "$vip held by several hosts: $holders"
	elif [ -n "$want" ] && [ "$holders" != "$want" ]; then
		lab_fail "$name" "$vip held by host $holders, expected host $want"
	else
		lab_pass "$name"
	fi
}

# lab_assert_no_holder NAME VIP
lab_assert_no_holder() {
	local holders
	holders=$(lab_holders "$2")
	if [ -z "$holders" ]; then
		lab_pass "$1"
	else
		lab_fail "$1" "$2 still held by host(s) $holders"
	fi
}

# lab_addr_snapshot HOST: the host's addresses (for "nothing was added" checks).
lab_addr_snapshot() {
	ip -n "$(lab_host_ns "$1")" -o addr show | awk '{ print $2, $4 }' | sort
}

# ---------------------------------------------------------------------------------------------
# The wire: tcpdump on the switch's bridge sees every frame of the lab.

# lab_capture_start [FILTER]: starts capturing (default, or FILTER "": VRRP, protocol 112) into
# $LAB_DIR/wire.pcap. Returns 1 when tcpdump is missing or does not start: the scenario skips
# its wire checks, and in CI that is a failure (lab_capture_unavailable).
lab_capture_start() {
	local filter=${1:-ip proto 112 or ip6 proto 112} i
	if ! command -v tcpdump >/dev/null; then
		lab_capture_unavailable "tcpdump is not installed"
		return 1
	fi
	LAB_CAPTURE_FILE="$LAB_DIR/wire.pcap"
	# --immediate-mode: with TPACKET_V3, packets otherwise wait in a ring block that is lost
	# when tcpdump is stopped.
	ip netns exec "$LAB_SWITCH" tcpdump -i br0 -n -U --immediate-mode -Z root -s 256 -w "$LAB_CAPTURE_FILE" \
		"$filter" 2>"$LAB_DIR/tcpdump.err" &
	LAB_CAPTURE_PID=$!
	for i in $(seq 1 300); do
		grep -q "listening on" "$LAB_DIR/tcpdump.err" 2>/dev/null && return 0
		kill -0 "$LAB_CAPTURE_PID" 2>/dev/null || break
		sleep 0.01
	done
	lab_capture_unavailable "tcpdump did not start: $(cat "$LAB_DIR/tcpdump.err" 2>/dev/null)"
	LAB_CAPTURE_PID=""
	return 1
}

# lab_capture_unavailable WHY: without a capture the wire checks cannot run: a failure in CI
# (CI=true or LAB_NEVER_SKIP=1), a logged skip of those checks elsewhere.
lab_capture_unavailable() {
	if lab_must_not_skip; then
		lab_fail "wire capture" "$1"
	else
		lab_log "$1: wire checks skipped"
	fi
}

# lab_capture_stop: stops the capture, leaving $LAB_DIR/wire.pcap complete.
lab_capture_stop() {
	[ -n "$LAB_CAPTURE_PID" ] || return 1
	sleep 0.05
	kill -INT "$LAB_CAPTURE_PID" 2>/dev/null
	wait "$LAB_CAPTURE_PID" 2>/dev/null
	LAB_CAPTURE_PID=""
	lab_log "tcpdump: $(grep -E 'captured|dropped' "$LAB_DIR/tcpdump.err" | tr '\n' ' ')"
	return 0
}

# lab_all_lines_match TEXT ERE: true when TEXT has lines and every one matches ERE.
lab_all_lines_match() {
	[ -n "$1" ] || return 1
	! grep -vqE -- "$2" <<<"$1"
}

# lab_some_line_matches TEXT ERE: true when a line of TEXT matches ERE.
lab_some_line_matches() { grep -qE -- "$2" <<<"$1"; }

# lab_no_line_matches TEXT ERE: true when no line of TEXT matches ERE.
lab_no_line_matches() { ! grep -qE -- "$2" <<<"$1"; }

# lab_capture_text: the capture decoded by tcpdump, verbose, one packet per line, with
# absolute timestamps (seconds.microseconds).
lab_capture_text() {
	tcpdump -r "$LAB_CAPTURE_FILE" -n -v -tt 2>/dev/null | awk '
		/^[0-9]+\.[0-9]+ / { if (line != "") print line; line = $0; next }
		{ sub(/^[ \t]+/, " "); line = line $0 }
		END { if (line != "") print line }'
}

# shellcheck source=lab_wire.sh
. "$(dirname "${BASH_SOURCE[0]}")/lab_wire.sh"
# shellcheck source=lab_fake_api.sh
. "$(dirname "${BASH_SOURCE[0]}")/lab_fake_api.sh"
