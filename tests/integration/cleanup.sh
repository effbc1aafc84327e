#!/usr/bin/env bash
# cleanup.sh — nothing is left behind, and bad settings change nothing:
#  - `keepvip check` exits 2 with "keepvip: settings: env NAME: ..." for each kind of bad
#    setting, 0 for good ones; `keepvip run` with bad settings exits 2 and adds no address
#    (the daemon never starts half-configured);
#  - SIGINT and SIGTERM: each daemon exits 0 within 1 s and, once all have exited, no host
#    holds the VIP;
#  - SIGKILL leaves the VIP behind; a restarted daemon removes it, and after a clean exit
#    nothing is left.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init cleanup "${1:-}"
lab_up 3

VIP=10.99.0.100
good=("KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=51 KEEPVIP_VRRP_VERSION=3 KEEPVIP_ADVERT_MS=100
	KEEPVIP_PRIORITY=100)

# --- settings validation -------------------------------------------------------------------
lab_exec_keepvip 1 check "${good[@]}"
rc=$?
lab_expect_eq "check: good settings exit 0" 0 "$rc"
lab_expect "check: prints the effective settings (VRID 51)" grep -q '51' "$LAB_DIR/exec.out"

# expect_bad_setting NAME ENV_NAME NAME=VALUE...: check exits 2 and names ENV_NAME.
expect_bad_setting() {
	local name=$1 env_name=$2 rc
	shift 2
	lab_exec_keepvip 1 check "$@"
	rc=$?
	if [ "$rc" != 2 ]; then
		lab_fail "check: $name" "exit $rc, want 2; stderr: $(head -c 300 "$LAB_DIR/exec.err")"
	elif ! grep -q "^keepvip: settings: env $env_name" "$LAB_DIR/exec.err"; then
		lab_fail "check: $name" "stderr does not name env $env_name: $(head -c 300 "$LAB_DIR/exec.err")"
	else
		lab_pass "check: $name (exit 2, names $env_name)"
	fi
}
expect_bad_setting "VRID 300" KEEPVIP_VRID "${good[@]}" KEEPVIP_VRID=300
expect_bad_setting "VRID not a number" KEEPVIP_VRID "${good[@]}" KEEPVIP_VRID=fifty
expect_bad_setting "priority 0" KEEPVIP_PRIORITY "${good[@]}" KEEPVIP_PRIORITY=0
expect_bad_setting "priority 255" KEEPVIP_PRIORITY "${good[@]}" KEEPVIP_PRIORITY=255
expect_bad_setting "v3 advert 15 ms" KEEPVIP_ADVERT_MS "${good[@]}" KEEPVIP_ADVERT_MS=15
expect_bad_setting "v3 advert 50000 ms" KEEPVIP_ADVERT_MS "${good[@]}" KEEPVIP_ADVERT_MS=50000
expect_bad_setting "version 4" KEEPVIP_VRRP_VERSION "${good[@]}" KEEPVIP_VRRP_VERSION=4
expect_bad_setting "VIP not an address" KEEPVIP_VIPS "${good[@]}" KEEPVIP_VIPS=10.99.0.300
expect_bad_setting "IPv4 and IPv6 VIPs mixed" KEEPVIP_VIPS "${good[@]}" KEEPVIP_VIPS=10.99.0.100,fd99::100
expect_bad_setting "preempt maybe" KEEPVIP_PREEMPT "${good[@]}" KEEPVIP_PREEMPT=maybe

# `run` with bad settings: exit 2, no address added, no advert.
before=$(lab_addr_snapshot 1)
lab_start_keepvip 1 "${good[@]}" KEEPVIP_VRID=300
if lab_wait_exit 1 5000; then
	lab_expect_eq "run with bad settings exits 2" 2 "${LAB_RC[1]}"
else
	lab_stop 1 KILL
	lab_fail "run with bad settings exits 2" "still running after 5 s"
fi
lab_expect_eq "run with bad settings adds no address" "$before" "$(lab_addr_snapshot 1)"
lab_expect "run with bad settings says why" lab_log_has 1 '^keepvip: settings: env KEEPVIP_VRID'

# --- clean exits -------------------------------------------------------------------------------
start_three() {
	lab_start_trio "${good[@]}"
	lab_require_master_1 $VIP 5000 700
}

# expect_clean_stop HOST SIGNAL: exits 0 within 1 s and holds no VIP afterwards.
expect_clean_stop() {
	local host=$1 sig=$2
	lab_stop "$host" "$sig" 3000
	lab_expect_eq "SIG$sig: host $host exits 0" 0 "${LAB_RC[$host]}"
	lab_expect_le "SIG$sig: host $host exits within 1 s" "${LAB_STOP_MS[$host]:-99999}" 1000
	lab_expect "SIG$sig: host $host holds no VIP after exit" lab_host_lacks "$host" $VIP
}

start_three
expect_clean_stop 1 INT
lab_wait_master $VIP 3000 >/dev/null
expect_clean_stop 3 TERM
expect_clean_stop 2 TERM
lab_assert_no_holder "no VIP anywhere after every daemon exited" $VIP

# --- SIGKILL leaves the VIP; a restart removes it -----------------------------------------
start_three
lab_stop 1 KILL
lab_expect "SIGKILL: the VIP is left on host 1" lab_host_holds 1 $VIP
lab_wait_holder 2 $VIP 5000
lab_stop_all TERM
lab_expect_eq "SIGKILL then clean exits: only the killed host's leftover remains" 1 "$(lab_holders $VIP)"
lab_start_keepvip 1 "${good[@]}" KEEPVIP_PRIORITY=150
if lab_wait_not_holder 1 $VIP 3000; then
	lab_pass "restarted daemon removes the leftover VIP (${LAB_WAITED_MS} ms)"
else
	lab_fail "restarted daemon removes the leftover VIP" "still there after 3 s"
fi
lab_wait_holder 1 $VIP 5000   # alone, it becomes master again
expect_clean_stop 1 TERM
lab_assert_no_holder "no VIP anywhere at the end" $VIP
lab_finish
