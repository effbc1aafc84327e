#!/usr/bin/env bash
# bad_hooks.sh — bad input from the host's own hooks is bounded, logged once, and never
# stalls the adverts. The master (host 1, priority 150, YAML file) has:
#  - a check script that never exits (`sleep 1000.N`), timeout 200 ms, weight 10;
#  - a check script that prints 100 MB (50 MB on stdout, 50 MB on stderr) and exits 0, weight 5;
#  - an HTTP check whose target accepts the connection and never answers, timeout 200 ms,
#    weight 20;
#  - a notify program that does not exist.
# Expected: the two hanging checks fail (by timeout), each logged once however many runs time
# out; the loud script is healthy; the priority is 150 - 10 - 20 = 120 and host 1 (above host
# 2's 100) stays master; its adverts leave at the configured interval (largest gap in the
# capture); a timed-out script is killed (never more than one in flight, none left after the
# daemon exits); the missing notify program is logged once over five state changes.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
# shellcheck source=lib/services.sh
. "$(dirname "$0")/lib/services.sh"
lab_init bad_hooks "${1:-}"
lab_up 2

VIP=10.99.0.100
ADVERT_MS=100
GAP_MARGIN_MS=50
WATCH_MS=4000
HANG_PORT=8090
HANG_CMD="sleep 1000.$$" # its own argument: the processes found by it are this run's
NOTIFY="/nonexistent/keepvip-notify-$$"
config="$LAB_DIR/keepvip1.yml"
cat >"$config" <<EOF
vips: $VIP/24
vrid: 51
version: 3
advert_ms: $ADVERT_MS
preempt: true
priority: 150
notify: $NOTIFY
checks:
  - script: $HANG_CMD
    interval_ms: 300
    timeout_ms: 200
    rise: 2
    fall: 2
    weight: 10
  - script: head -c 50000000 /dev/zero; head -c 50000000 /dev/zero >&2
    interval_ms: 300
    timeout_ms: 5000
    rise: 2
    fall: 2
    weight: 5
  - http: http://127.0.0.1:$HANG_PORT/healthz
    interval_ms: 300
    timeout_ms: 200
    rise: 2
    fall: 2
    weight: 20
EOF

command -v tcpdump >/dev/null || lab_cannot_run "tcpdump is not installed (the wire is what this checks)"
command -v pgrep >/dev/null || lab_cannot_run "pgrep (procps) is not installed"

# hung_scripts: how many `sleep 1000.N` processes exist (anywhere: they are this run's).
hung_scripts() { pgrep -c -x -f "sleep 1000\\.$$" || true; }

svc_tcp_hang 1 $HANG_PORT
lab_capture_start "" || lab_die "tcpdump did not start"
lab_start_keepvip 1 "KEEPVIP_CONFIG=$config"
host=$(lab_wait_settled $VIP 5000 500)
[ "$host" = 1 ] || lab_die "host 1 alone did not become master (holders: '$host')"
lab_start_keepvip 2 "KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=51 KEEPVIP_VRRP_VERSION=3 \
	"KEEPVIP_ADVERT_MS=$ADVERT_MS" KEEPVIP_PREEMPT=true KEEPVIP_PRIORITY=100

# Both hanging checks fail after 2 runs (~600 ms): priority 120, still above host 2.
lab_wait_log_after 1 0 'priority [0-9]+ -> 120: ' 5000 ||
	lab_fail "host 1's priority reaches 120 (150 - 10 - 20)" "not within 5 s"
watch_from=$(lab_now_us)
most_hung=0
end=$((watch_from + WATCH_MS * 1000))
while [ "$(lab_now_us)" -lt "$end" ]; do
	holders=$(lab_holders $VIP)
	[ "$holders" = 1 ] || lab_fail "host 1 holds the VIP throughout" "holders '$holders'"
	n=$(hung_scripts)
	[ "$n" -le "$most_hung" ] || most_hung=$n
	sleep 0.05
done
watch_to=$(lab_now_us)
lab_assert_single_holder "host 1 (120 > 100) stays master with hanging checks" $VIP 1
lab_expect "a timed-out script is killed: at most one in flight (saw $most_hung)" \
	test "$most_hung" -le 1
lab_expect "the hanging script did run (seen in flight)" test "$most_hung" -ge 1

# Five state changes, five notify failures: host 1's link goes down and up
# (MASTER -> FAULT -> BACKUP -> MASTER, after INIT -> BACKUP -> MASTER).
ip -n "$(lab_host_ns 1)" link set eth0 down || lab_die "link down failed"
lab_wait_holder 2 $VIP 5000 || lab_fail "host 2 takes the VIP while host 1's link is down" \
	"not within 5 s"
ip -n "$(lab_host_ns 1)" link set eth0 up || lab_die "link up failed"
lab_wait_holder 1 $VIP 5000 || lab_fail "host 1 takes the VIP back" "not within 5 s"
host=$(lab_wait_settled $VIP 5000 500)
lab_expect_eq "host 1 holds the VIP again" 1 "$host"
lab_sleep_ms 300 # the last notify run fails too

lab_capture_stop
adverts=$(lab_capture_text | grep -F 'VRRPv3, Advertisement')
watched=$(printf '%s\n' "$adverts" |
	awk -v a="$watch_from" -v b="$watch_to" '$1 > a / 1e6 && $1 < b / 1e6' | grep -F ' 10.99.0.11 > ')
count=$(printf '%s\n' "$watched" | grep -c 'prio')
gaps=$(svc_advert_gaps "$watched" 10.99.0.11)
lab_expect_le "wire: largest gap between host 1's adverts ($count adverts)" \
	"$(svc_max "$gaps")" $((ADVERT_MS + GAP_MARGIN_MS))
lab_expect "wire: about one advert per interval ($count in $WATCH_MS ms)" \
	test "$count" -ge $((WATCH_MS * 9 / 10 / ADVERT_MS))
lab_expect "wire: host 1 advertises prio 120 (the loud script counts as healthy)" \
	lab_all_lines_match "$watched" '10\.99\.0\.11 > 224\.0\.0\.18: VRRPv3, Advertisement, vrid 51, prio 120,'

log1="$LAB_DIR/host1.log"
lab_expect_eq "the hanging script's timeout is logged once" 1 \
	"$(grep -c "check script:sleep 1000\\.$$ failed 2 times: timed out after 200 ms -> unhealthy" "$log1")"
lab_expect_eq "no other line about the hanging script" 1 "$(grep -c "script:sleep 1000" "$log1")"
lab_expect_eq "the hanging HTTP target is logged once" 1 \
	"$(grep -c "check http://127\\.0\\.0\\.1:$HANG_PORT/healthz failed 2 times: .* -> unhealthy" "$log1")"
lab_expect_eq "no other line about the hanging HTTP target" 1 "$(grep -c ":$HANG_PORT/healthz" "$log1")"
lab_expect "the loud script is never logged failing" lab_log_lacks 1 'script:head .*failed'
transitions=$(grep -cE ' -> [A-Z]+: ' "$log1")
lab_expect "five state changes happened ($transitions)" test "$transitions" -ge 5
lab_expect_eq "the missing notify program is logged once" 1 "$(grep -c 'notify: ' "$log1")"
lab_expect "... naming it and why" \
	lab_log_has 1 "notify: \"$NOTIFY\" failed: exit status 127 \\(command not found\\)"
lines=$(wc -l <"$log1")
lab_expect "host 1's log stays short ($lines lines)" test "$lines" -le 30

lab_stop_all TERM
for k in 1 2; do
	lab_expect_eq "host $k exits 0 on SIGTERM" 0 "${LAB_RC[$k]:-}"
done
lab_sleep_ms 200
lab_expect_eq "no hanging script left after the daemon exited" 0 "$(hung_scripts)"
lab_assert_no_holder "no VIP left after every daemon exited" $VIP
lab_finish
