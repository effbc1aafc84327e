#!/usr/bin/env bash
# check_tcp.sh — a TCP connect health check (KEEPVIP_CHECK_PORT) with weight 0. A small TCP
# listener on 127.0.0.1 stands in for HAProxy on each host. Stopping it on the master puts
# the master in FAULT (DESIGN "Behaviour": VIP released, no adverts) after FALL failed runs,
# and the backup takes the VIP within FALL × interval + Master_Down_Interval (RFC 5798 §6.1)
# plus a margin. Starting the listener again brings the master back to BACKUP after RISE
# good runs and, with preempt, it takes the VIP back. While in FAULT it sends no advert.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
# shellcheck source=lib/services.sh
. "$(dirname "$0")/lib/services.sh"
lab_init check_tcp "${1:-}"
lab_up 2

VIP=10.99.0.100
ADVERT_MS=100
PORT=8080
INTERVAL_MS=100
RISE=2
FALL=3
MARGIN_MS=1500
common=("KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=51 KEEPVIP_VRRP_VERSION=3 "KEEPVIP_ADVERT_MS=$ADVERT_MS"
	KEEPVIP_PREEMPT=true "KEEPVIP_CHECK_PORT=$PORT" "KEEPVIP_CHECK_INTERVAL_MS=$INTERVAL_MS"
	"KEEPVIP_CHECK_RISE=$RISE" "KEEPVIP_CHECK_FALL=$FALL" KEEPVIP_CHECK_WEIGHT=0)

svc_tcp_listen 1 $PORT
listener1=$SVC_PID
svc_tcp_listen 2 $PORT
wire=0
lab_capture_start "" && wire=1

lab_start_keepvip 1 "${common[@]}" KEEPVIP_PRIORITY=150
lab_start_keepvip 2 "${common[@]}" KEEPVIP_PRIORITY=100

lab_require_master_1 $VIP 5000 1000
lab_pass "both listeners up: host 1 (prio 150) is master"
# A check starts healthy: nothing to log while the listener answers.
lab_expect "host 1: no check failure while its listener is up" lab_log_lacks 1 'check tcp:.*failed'

# 1. The load balancer on the master dies: connects to its port are refused.
mark1=$(lab_log_length 1)
mark2=$(lab_log_length 2)
bound=$(lab_add_ms "$((FALL * INTERVAL_MS))" "$(lab_master_down_ms $ADVERT_MS 100)")
bound=$(lab_add_ms "$bound" $MARGIN_MS)
fault_us=$(lab_now_us)
svc_stop "$listener1"
if lab_wait_holder 2 $VIP 10000; then
	lab_expect_le "listener stopped on the master: host 2 takes the VIP" "$LAB_WAITED_MS" "$bound"
else
	lab_fail "listener stopped on the master: host 2 takes the VIP" "not within 10 s"
fi
if lab_wait_not_holder 1 $VIP 2000; then
	lab_pass "host 1 released the VIP"
else
	lab_fail "host 1 released the VIP" "still there 2 s after host 2 took it"
fi
lab_expect "host 1 logged the check failing ($FALL times)" \
	lab_log_has_after 1 "$mark1" "check tcp.*$PORT.* failed $FALL times: .* -> unhealthy"
lab_expect "host 1 logged MASTER -> FAULT" lab_log_has_after 1 "$mark1" 'MASTER -> FAULT: '
lab_expect "host 2 logged BACKUP -> MASTER" lab_log_has_after 2 "$mark2" 'BACKUP -> MASTER'
if out=$(lab_watch_holders $VIP 1000 2); then
	lab_pass "host 1 stays in FAULT while its listener is down: host 2 alone holds the VIP"
else
	lab_fail "host 1 stays in FAULT while its listener is down" "$out"
fi
lab_expect "host 1 did not leave FAULT while unhealthy" lab_log_lacks_after 1 "$mark1" 'FAULT -> '

# 2. The load balancer comes back: RISE good runs, FAULT -> BACKUP, then preemption.
mark1=$(lab_log_length 1)
mark2=$(lab_log_length 2)
bound=$(lab_add_ms "$((RISE * INTERVAL_MS))" "$(lab_master_down_ms $ADVERT_MS 150)")
bound=$(lab_add_ms "$bound" $MARGIN_MS)
recover_us=$(lab_now_us)
svc_tcp_listen 1 $PORT
if lab_wait_holder 1 $VIP 10000; then
	lab_expect_le "listener back on host 1: with preempt it takes the VIP back" \
		"$LAB_WAITED_MS" "$bound"
else
	lab_fail "listener back on host 1: with preempt it takes the VIP back" "not within 10 s"
fi
master=$(lab_wait_settled $VIP 5000 1000)
lab_expect_eq "exactly one holder, host 1, once settled" 1 "$master"
lab_expect "host 1 logged its check healthy again" \
	lab_log_has_after 1 "$mark1" "check tcp.*$PORT.* succeeded $RISE times -> healthy"
lab_expect "host 1 logged FAULT -> BACKUP" lab_log_has_after 1 "$mark1" 'FAULT -> BACKUP'
lab_expect "host 1 logged BACKUP -> MASTER" lab_log_has_after 1 "$mark1" 'BACKUP -> MASTER'
lab_expect "host 2 logged MASTER -> BACKUP" lab_log_has_after 2 "$mark2" 'MASTER -> BACKUP'

if [ "$wire" = 1 ]; then
	lab_capture_stop
	adverts=$(lab_capture_text | grep -F 'VRRPv3, Advertisement')
	# In FAULT no advert leaves host 1: none between the FAULT (fall runs after the stop,
	# plus one interval for the stop advert to be sent) and the listener's return.
	quiet_from=$(awk -v t="$fault_us" -v d=$(((FALL + 1) * INTERVAL_MS + ADVERT_MS)) \
		'BEGIN { printf "%.6f\n", t / 1e6 + d / 1000 }')
	quiet_to=$(awk -v t="$recover_us" 'BEGIN { printf "%.6f\n", t / 1e6 }')
	in_fault=$(printf '%s\n' "$adverts" | grep -F ' 10.99.0.11 > ' |
		awk -v a="$quiet_from" -v b="$quiet_to" '$1 > a && $1 < b' | wc -l)
	lab_expect_eq "wire: no advert from host 1 while it is in FAULT" 0 "$in_fault"
	by2=$(printf '%s\n' "$adverts" | grep -F ' 10.99.0.12 > ' |
		awk -v a="$quiet_from" -v b="$quiet_to" '$1 > a && $1 < b' | wc -l)
	lab_expect "wire: host 2 advertised as master meanwhile ($by2 adverts)" test "$by2" -ge 5
	lab_expect "wire: host 1 advertises prio 150 again at the end" \
		lab_all_lines_match "$(printf '%s\n' "$adverts" | tail -n 5)" \
		'10\.99\.0\.11 > 224\.0\.0\.18: VRRPv3, Advertisement, vrid 51, prio 150,'
else
	lab_log "tcpdump unavailable: wire checks skipped"
fi

lab_stop_all_clean $VIP 1 2
lab_finish
