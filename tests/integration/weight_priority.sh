#!/usr/bin/env bash
# weight_priority.sh — weighted health checks (DESIGN "Behaviour": a failing check with weight
# N lowers the priority by N, no FAULT), seen on the wire. Host 1 (priority 150, from a YAML
# file with two TCP checks: port 8080 weight 20, port 8081 weight 40) and host 2 (priority
# 100, no check), preempt on:
#  1. 8080 down: host 1 advertises prio 130 and stays master (130 > 100);
#  2. 8081 down too: prio 90; host 2 (100) preempts it (RFC 5798 §6.4.2) and takes the VIP;
#  3. both back: prio 150; host 1 preempts host 2 and takes the VIP back.
# The priorities are read from the adverts tcpdump saw (-vv shows "prio N").
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
# shellcheck source=lib/services.sh
. "$(dirname "$0")/lib/services.sh"
lab_init weight_priority "${1:-}"
lab_up 2

VIP=10.99.0.100
ADVERT_MS=100
MARGIN_MS=1500
CHANGE_MS=3000 # a check's verdict (fall or rise runs of 100 ms) reaches the priority
config="$LAB_DIR/keepvip1.yml"
cat >"$config" <<EOF
vips: $VIP/24
vrid: 51
version: 3
advert_ms: $ADVERT_MS
preempt: true
priority: 150
checks:
  - tcp: 8080
    interval_ms: 100
    rise: 2
    fall: 2
    weight: 20
  - tcp: 8081
    interval_ms: 100
    rise: 2
    fall: 2
    weight: 40
EOF

command -v tcpdump >/dev/null || lab_cannot_run "tcpdump is not installed (the wire is what this checks)"
svc_tcp_listen 1 8080
lb8080=$SVC_PID
svc_tcp_listen 1 8081
lb8081=$SVC_PID
lab_capture_start "" || lab_die "tcpdump did not start"

lab_start_keepvip 1 "KEEPVIP_CONFIG=$config"
host=$(lab_wait_settled $VIP 5000 500)
[ "$host" = 1 ] || lab_die "host 1 alone did not become master (holders: '$host')"
lab_start_keepvip 2 "KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=51 KEEPVIP_VRRP_VERSION=3 \
	"KEEPVIP_ADVERT_MS=$ADVERT_MS" KEEPVIP_PREEMPT=true KEEPVIP_PRIORITY=100
lab_sleep_ms 500
lab_assert_single_holder "both checks healthy: host 1 (150) is master" $VIP 1

# adverts_between FROM_US TO_US SOURCE: adverts SOURCE sent in the window.
adverts_between() {
	lab_capture_text | grep -F 'VRRPv3, Advertisement' | grep -F " $3 > " |
		awk -v a="$1" -v b="$2" '$1 > a / 1e6 && $1 < b / 1e6'
}
# prio_of TEXT: the advertised priorities, one a line, without repeats in a row.
prio_of() { printf '%s\n' "$1" | sed -nE 's/.*, prio ([0-9]+),.*/\1/p' | uniq; }

# 1. Port 8080 (weight 20) goes down.
mark1=$(lab_log_length 1)
svc_stop "$lb8080"
lab_wait_log_after 1 "$mark1" 'priority 150 -> 130: ' $CHANGE_MS ||
	lab_fail "host 1 logged priority 150 -> 130" "not within $CHANGE_MS ms"
t1=$(lab_now_us)
if out=$(lab_watch_holders $VIP 800 1); then
	lab_pass "priority 130 > 100: host 1 keeps the VIP"
else
	lab_fail "priority 130 > 100: host 1 keeps the VIP" "$out"
fi
t1_end=$(lab_now_us)

# 2. Port 8081 (weight 40) goes down too: 150 - 60 = 90 < 100.
mark1=$(lab_log_length 1)
mark2=$(lab_log_length 2)
svc_stop "$lb8081"
lab_wait_log_after 1 "$mark1" 'priority 130 -> 90: ' $CHANGE_MS ||
	lab_fail "host 1 logged priority 130 -> 90" "not within $CHANGE_MS ms"
t2=$(lab_now_us)
bound=$(lab_add_ms "$(lab_master_down_ms $ADVERT_MS 100)" $MARGIN_MS)
if lab_wait_holder 2 $VIP 10000; then
	lab_expect_le "priority 90 < 100: host 2 preempts and takes the VIP" "$LAB_WAITED_MS" "$bound"
else
	lab_fail "priority 90 < 100: host 2 preempts and takes the VIP" "not within 10 s"
fi
host=$(lab_wait_settled $VIP 5000 800)
lab_expect_eq "host 2 alone holds the VIP" 2 "$host"
lab_expect "host 1 logged MASTER -> BACKUP" lab_log_has_after 1 "$mark1" 'MASTER -> BACKUP'
lab_expect "host 2 logged BACKUP -> MASTER" lab_log_has_after 2 "$mark2" 'BACKUP -> MASTER'
t2_end=$(lab_now_us)

# 3. Both come back: 150 again, host 1 preempts host 2.
mark1=$(lab_log_length 1)
mark2=$(lab_log_length 2)
svc_tcp_listen 1 8080
svc_tcp_listen 1 8081
lab_wait_log_after 1 "$mark1" 'priority [0-9]+ -> 150: ' $CHANGE_MS ||
	lab_fail "host 1 logged its priority back to 150" "not within $CHANGE_MS ms"
bound=$(lab_add_ms "$(lab_master_down_ms $ADVERT_MS 150)" $MARGIN_MS)
if lab_wait_holder 1 $VIP 10000; then
	lab_expect_le "priority 150 again: host 1 takes the VIP back" "$LAB_WAITED_MS" "$bound"
else
	lab_fail "priority 150 again: host 1 takes the VIP back" "not within 10 s"
fi
host=$(lab_wait_settled $VIP 5000 800)
lab_expect_eq "host 1 alone holds the VIP" 1 "$host"
lab_expect "host 2 logged MASTER -> BACKUP" lab_log_has_after 2 "$mark2" 'MASTER -> BACKUP'
lab_expect "host 1 never went to FAULT (weighted checks)" lab_log_lacks 1 'FAULT'
t3_end=$(lab_now_us)
lab_capture_stop

# The wire. A change is logged before its first advert leaves: 150 ms after the log line,
# every advert carries the new priority.
w1=$(adverts_between $((t1 + 150000)) "$t1_end" 10.99.0.11)
lab_expect "wire: 8080 down: host 1 advertises prio 130 ($(echo "$w1" | grep -c prio) adverts)" \
	lab_all_lines_match "$w1" '10\.99\.0\.11 > 224\.0\.0\.18: VRRPv3, Advertisement, vrid 51, prio 130,'
lab_expect "wire: 8080 down: at least 5 adverts at prio 130" test "$(echo "$w1" | grep -c 'prio 130')" -ge 5
w2=$(adverts_between "$t1_end" "$t2_end" 10.99.0.11)
lab_expect_eq "wire: 8081 down too: host 1's adverts go from 130 to 90, then stop (backup)" \
	"130 90" "$(prio_of "$w2" | tr '\n' ' ' | sed 's/ $//')"
w2b=$(adverts_between "$t2" "$t2_end" 10.99.0.12)
lab_expect "wire: host 2 advertises prio 100 as master" \
	lab_some_line_matches "$w2b" '10\.99\.0\.12 > 224\.0\.0\.18: VRRPv3, Advertisement, vrid 51, prio 100,'
w3=$(adverts_between $((t3_end - 500000)) "$t3_end" 10.99.0.11)
lab_expect "wire: checks back: host 1 advertises prio 150 again" \
	lab_all_lines_match "$w3" '10\.99\.0\.11 > 224\.0\.0\.18: VRRPv3, Advertisement, vrid 51, prio 150,'
w3b=$(adverts_between $((t3_end - 500000)) "$t3_end" 10.99.0.12)
lab_expect_eq "wire: host 2 is silent again (backup)" "" "$w3b"

lab_stop_all_clean $VIP 1 2
lab_finish
