#!/usr/bin/env bash
# realtime.sh — KEEPVIP_REALTIME_PRIORITY (keepalived's vrrp_rt_priority): asked for, the
# daemon runs SCHED_RR at that priority with its memory locked (chrt, /proc/PID/status VmLck);
# not asked for, it runs SCHED_OTHER with nothing locked. Refused by the kernel (no
# CAP_SYS_NICE, RLIMIT_RTPRIO 0), the daemon says why and runs on, normally scheduled, and
# still takes the VIP. A value out of range is a settings error naming its place.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init realtime "${1:-}"
lab_up 2

VIP=10.99.0.100
common=("KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=51 KEEPVIP_ADVERT_MS=100)

# policy PID: "SCHED_RR 20" / "SCHED_OTHER 0", as chrt reports it.
policy() {
	chrt -p "$1" | awk -F': ' '/policy/ { p = $2 } /priority/ { q = $2 } END { print p, q }' |
		tr -s ' '
}
locked_kb() { awk '/^VmLck:/ { print $2 }' "/proc/$1/status"; }

lab_start_keepvip 1 "${common[@]}" KEEPVIP_PRIORITY=150 KEEPVIP_REALTIME_PRIORITY=20
lab_start_keepvip 2 "${common[@]}" KEEPVIP_PRIORITY=100
lab_require_master_1 $VIP 5000 1000
lab_expect_eq "asked: SCHED_RR at priority 20" "SCHED_RR 20" "$(policy "${LAB_PID[1]}")"
kb=$(locked_kb "${LAB_PID[1]}")
if lab_keepvip_is_asan; then
	# AddressSanitizer makes mlockall a no-op: the daemon says so instead.
	lab_expect "asked (ASan build): the log says memory is not locked" \
		lab_log_has 1 'realtime_priority 20: memory not locked \(AddressSanitizer build\)'
else
	lab_expect "asked: memory locked (VmLck $kb kB)" [ "${kb:-0}" -gt 0 ]
	lab_expect "asked: the log says so" lab_log_has 1 'realtime: SCHED_RR priority 20, memory locked'
fi
lab_expect_eq "not asked: SCHED_OTHER" "SCHED_OTHER 0" "$(policy "${LAB_PID[2]}")"
lab_expect_eq "not asked: nothing locked" 0 "$(locked_kb "${LAB_PID[2]}")"
lab_stop 1 TERM
lab_expect_eq "keepvip under SCHED_RR exits 0 on SIGTERM" 0 "${LAB_RC[1]:-}"

# Without CAP_SYS_NICE (dropped from the bounding set, so root's exec does not get it back)
# and with RLIMIT_RTPRIO 0, the kernel refuses SCHED_RR: not fatal.
mark=$(lab_log_length 1)
LAB_KEEPVIP_REAL=$LAB_KEEPVIP
LAB_KEEPVIP=$LAB_DIR/keepvip-nonice
printf '#!/bin/sh\nulimit -r 0\nexec setpriv --bounding-set -sys_nice,-ipc_lock %s "$@"\n' \
	"$LAB_KEEPVIP_REAL" >"$LAB_KEEPVIP"
chmod +x "$LAB_KEEPVIP"
lab_start_keepvip 1 "${common[@]}" KEEPVIP_PRIORITY=150 KEEPVIP_REALTIME_PRIORITY=20
LAB_KEEPVIP=$LAB_KEEPVIP_REAL
lab_wait_log_after 1 "$mark" 'running 1 instance' 3000 || true
lab_expect "refused: the daemon says why" \
	lab_log_has_after 1 "$mark" 'realtime_priority 20: sched_setscheduler\(SCHED_RR\): Operation not permitted; running with normal scheduling'
if lab_wait_holders $VIP 1 5000; then
	lab_pass "refused: the daemon runs on and takes the VIP back"
else
	lab_fail "refused: the daemon runs on and takes the VIP back" "$LAB_WHY"
fi
lab_expect_eq "refused: SCHED_OTHER" "SCHED_OTHER 0" "$(policy "${LAB_PID[1]}")"
lab_stop_all TERM

lab_exec_keepvip 1 check "KEEPVIP_VIPS=$VIP" KEEPVIP_REALTIME_PRIORITY=100
lab_expect_eq "out of range: keepvip check exits 2" 2 "$?"
lab_expect "out of range: the error names the setting" grep -qF \
	'env KEEPVIP_REALTIME_PRIORITY: "100" is not between 0 and 99' "$LAB_DIR/exec.err"
lab_finish
