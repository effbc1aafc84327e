#!/usr/bin/env bash
# rancher_hostile.sh — the Rancher adapter of a running master gets hostile answers from its
# metadata service (tests/adapters/scenarios/rancher.py, in the lab as in rancher_live.sh),
# one after another, each ending at its bound: 1 GiB streamed (the 4 MiB answer cap), a
# byte a second (the 5 s request timeout), bytes that are not UTF-8, arrays nested 100,000
# deep, wrong types (the parser), and a long poll that never ends (maxWait 2 s + 10 s).
# Between two attacks the server answers well again, so every one is met (the backoff starts
# over). Throughout: the master's adverts keep their period (the longest gap between its
# adverts to a peer within 10 % of the 100 ms interval), the peers stay as they were (no
# "peers changed"), the VIP stays on host 1 alone, and the daemon's memory stays bounded.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init rancher_hostile "${1:-}"
LAB_IPV4_NET=10.42.0
lab_up 3

PYTHON=$(command -v python3) || lab_cannot_run "python3 (the fake metadata server) is not installed"
command -v curl >/dev/null || lab_cannot_run "curl (the fake server's controls) is not installed"
SERVER=10.42.0.2
VIP=10.42.0.100
ADVERT_MS=100
SERVICE_PATH=/2015-12-19/stacks/keepvip/services/keepvip

lab_start_fake_api "$SERVER" rancher --opt self_by_source=1
PORT=$LAB_FAKE_PORT
URL="http://$SERVER:$PORT/2015-12-19"

control() {
	ip netns exec "$LAB_SWITCH" curl -sSf -m 5 "http://$SERVER:$PORT/_control/$1" \
		>>"$LAB_DIR/control.log" 2>&1 || lab_fail "control $1" "the fake server did not answer"
}

# The service metadata sets check_port 80: each host's "load balancer".
mkdir -p "$LAB_DIR/www"
for k in 1 2 3; do
	lab_spawn "$k" "$LAB_DIR/lb$k.log" "$PYTHON" -m http.server 80 --bind 127.0.0.1 \
		--directory "$LAB_DIR/www"
done
common=(KEEPVIP_ORCHESTRATOR=rancher "KEEPVIP_RANCHER_METADATA_URL=$URL"
	KEEPVIP_RANCHER_STACK=keepvip KEEPVIP_RANCHER_SERVICE=keepvip KEEPVIP_RANCHER_MAX_WAIT_S=2
	"KEEPVIP_VIPS=$VIP/24" "KEEPVIP_ADVERT_MS=$ADVERT_MS")
declare -A PRIORITY=([1]=150 [2]=100 [3]=50)
# Host 1 runs SCHED_RR (KEEPVIP_REALTIME_PRIORITY), as in status_abuse.sh: on a 2-core
# machine shared with other work the scheduler alone can hold a process off the CPU for tens
# of ms; under SCHED_RR a late advert can only be the loop's own doing (a parse, a copy).
for k in 1 2 3; do
	rt=()
	[ "$k" != 1 ] || rt=(KEEPVIP_REALTIME_PRIORITY=10)
	lab_start_keepvip "$k" "${common[@]}" "KEEPVIP_PRIORITY=${PRIORITY[$k]}" "${rt[@]}"
done
lab_require_master_1 $VIP 8000 1000
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/${LAB_PID[1]}/status"; }
hwm_before=$(hwm_kb)
mark=$(lab_log_length 1)
wire=0
lab_capture_start "ip proto 112 and src host 10.42.0.11 and dst host 10.42.0.12" && wire=1
t0=$(lab_now_us)

# attack NAME CONTROL LOG_ERE BOUND_MS: CONTROL makes the server hostile, then a version bump
# makes the watch read; host 1 must log LOG_ERE within BOUND_MS; then the server answers well
# again, and host 1 reads it (its backoff starts over).
attack() {
	local name=$1 what=$2 ere=$3 bound=$4 from
	from=$(lab_log_length 1)
	control "$what"
	control version
	if lab_wait_log_after 1 "$from" "$ere" "$bound"; then
		lab_pass "$name: host 1 gave up at its bound (after $LAB_WAITED_MS ms)"
	else
		lab_fail "$name: host 1 gave up at its bound" "no '$ere' within $bound ms"
	fi
	control clear
	control hang_poll?on=0
	control version
	lab_wait_log_after 1 "$from" 'answering again after' 6000 ||
		lab_fail "$name: host 1 reads again afterwards" "no 'answering again' within 6 s"
}

attack "1 GiB streamed" "body?path=$SERVICE_PATH&kind=endless" \
	'response body larger than 4194304 bytes' 5000
attack "a byte a second" "body?path=$SERVICE_PATH&kind=slow" 'timed out after 5000 ms' 8000
attack "not UTF-8" "body?path=$SERVICE_PATH&kind=bad_utf8" 'invalid JSON at line' 3000
attack "nested 100,000 deep" "body?path=$SERVICE_PATH&kind=deep" \
	'maximum parsing depth reached' 3000
attack "wrong types" "body?path=$SERVICE_PATH&kind=wrong_types" 'expected a string, got integer' 3000
# The poll in flight ends at maxWait (2 s); the next one hangs until 2 s + 10 s of slack.
attack "a long poll that never ends" "hang_poll?on=1" '\(long poll\): timed out after 12000 ms' 16000
t1=$(lab_now_us)

lab_expect "host 1 kept its peers through every attack" lab_log_lacks_after 1 "$mark" 'peers changed'
lab_expect "host 1 stayed master" lab_log_lacks_after 1 "$mark" 'MASTER -> '
lab_expect "host 2 stayed backup" lab_log_lacks 2 'BACKUP -> MASTER'
lab_assert_single_holder "host 1 still holds the VIP alone" $VIP 1
hwm_after=$(hwm_kb)
lab_expect "memory stays bounded (VmHWM $hwm_before -> $hwm_after kB, at most +16 MB)" \
	[ "$hwm_after" -le $((hwm_before + 16384)) ]
if [ "$wire" = 1 ] && lab_capture_stop; then
	lab_expect_advert_period "host 1's adverts to host 2 during the attacks" "$t0" "$t1" $ADVERT_MS
fi
lab_stop_all_clean $VIP 1 2 3
lab_finish
