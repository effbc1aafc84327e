#!/usr/bin/env bash
# notify_order.sh — KEEPVIP_NOTIFY runs `NOTIFY INSTANCE NAME STATE PRIORITY` (keepalived's
# argument order) on every state change, one run at a time, in the order of the changes.
# The notify program here is slow (it sleeps between a "start" and an "end" record), so the
# quick FAULT -> BACKUP -> MASTER sequence after a link returns queues runs: overlapping
# runs would interleave their records, out-of-order runs would not match the daemon's log.
# Transitions: host 1 BACKUP, MASTER; host 2 joins (BACKUP); host 1's link goes down (host 1
# FAULT, host 2 MASTER) and comes back (host 1 BACKUP then MASTER by preemption, host 2
# BACKUP).
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init notify_order "${1:-}"
lab_up 2

VIP=10.99.0.100
NOTIFY_SLEEP=0.3
common=("KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=51 KEEPVIP_VRRP_VERSION=3 KEEPVIP_ADVERT_MS=100
	KEEPVIP_PREEMPT=true KEEPVIP_INSTANCE_NAME=web)

notify="$LAB_DIR/notify.sh"
cat >"$notify" <<EOF
#!/bin/sh
# notify.sh RECORD_FILE INSTANCE NAME STATE PRIORITY: records each run's start and end.
record=\$1
shift
echo "start \$#: \$*" >>"\$record"
sleep $NOTIFY_SLEEP
echo "end \$#: \$*" >>"\$record"
EOF
chmod +x "$notify"
record1="$LAB_DIR/notify1.txt"
record2="$LAB_DIR/notify2.txt"
: >"$record1"
: >"$record2"

# wait_records FILE COUNT TIMEOUT_MS: until FILE holds COUNT finished runs.
wait_records() {
	local file=$1 count=$2 timeout=$3 start
	start=$(lab_now_us)
	until [ "$(grep -c '^end ' "$file")" -ge "$count" ]; do
		[ $((($(lab_now_us) - start) / 1000)) -lt "$timeout" ] || return 1
		sleep 0.02
	done
}

# runs FILE: the finished runs' arguments, one a line, in order.
runs() { sed -n 's/^end [0-9]*: //p' "$1"; }

# serial FILE: every run's start is followed by its own end before the next run starts.
# shellcheck disable=SC2317 # called through lab_expect
serial() {
	awk '
		/^start / { if (open != "") bad = 1; open = substr($0, 7) }
		/^end /   { if (open != substr($0, 5)) bad = 1; open = "" }
		END { exit bad || open != "" }' "$1"
}

# log_states HOST: the target state of every transition in the daemon's log, in order
# (shutdown excluded).
log_states() {
	grep -E ' -> [A-Z]+: ' "$LAB_DIR/host$1.log" | grep -v ': shutdown' |
		sed -E 's/.* -> ([A-Z]+): .*/\1/'
}

lab_start_keepvip 1 "${common[@]}" KEEPVIP_PRIORITY=150 "KEEPVIP_NOTIFY=$notify $record1"
host=$(lab_wait_settled $VIP 5000 500)
[ "$host" = 1 ] || lab_die "host 1 alone did not become master (holders: '$host')"
lab_start_keepvip 2 "${common[@]}" KEEPVIP_PRIORITY=100 "KEEPVIP_NOTIFY=$notify $record2"
lab_expect "host 2 started as backup" wait_records "$record2" 1 5000

# The link goes down and comes back (FAULT, then BACKUP and MASTER in quick succession).
ip -n "$(lab_host_ns 1)" link set eth0 down || lab_die "link down failed"
lab_wait_holder 2 $VIP 5000 || lab_fail "host 2 takes the VIP when host 1's link goes down" \
	"not within 5 s"
ip -n "$(lab_host_ns 1)" link set eth0 up || lab_die "link up failed"
lab_wait_holder 1 $VIP 5000 || lab_fail "host 1 takes the VIP back" "not within 5 s"
host=$(lab_wait_settled $VIP 5000 500)
lab_expect_eq "host 1 holds the VIP again" 1 "$host"

expected1="INSTANCE web BACKUP 150
INSTANCE web MASTER 150
INSTANCE web FAULT 150
INSTANCE web BACKUP 150
INSTANCE web MASTER 150"
expected2="INSTANCE web BACKUP 100
INSTANCE web MASTER 100
INSTANCE web BACKUP 100"
wait_records "$record1" 5 10000 || lab_fail "host 1: five notify runs" \
	"only $(grep -c '^end ' "$record1") finished within 10 s"
wait_records "$record2" 3 10000 || lab_fail "host 2: three notify runs" \
	"only $(grep -c '^end ' "$record2") finished within 10 s"
lab_sleep_ms 500 # a run that should not be there would show up now

lab_expect_eq "host 1: notify got every transition, in order, with its arguments" \
	"$expected1" "$(runs "$record1")"
lab_expect_eq "host 2: notify got every transition, in order, with its arguments" \
	"$expected2" "$(runs "$record2")"
lab_expect "host 1: notify runs one at a time" serial "$record1"
lab_expect "host 2: notify runs one at a time" serial "$record2"
lab_expect "host 1: each run got 4 arguments" \
	lab_all_lines_match "$(grep '^end ' "$record1")" '^end 4: '
for k in 1 2; do
	lab_expect_eq "host $k: notify order matches the daemon's log" \
		"$(log_states $k | tr '\n' ' ')" "$(runs "$LAB_DIR/notify$k.txt" | awk '{ printf "%s ", $3 }')"
	lab_expect "host $k: no notify failure logged" lab_log_lacks $k 'notify: '
done

lab_stop_all_clean $VIP 1 2
lab_finish
