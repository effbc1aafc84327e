#!/usr/bin/env bash
# election.sh — three hosts, priorities 150/100/50, VRRPv3 multicast, 100 ms adverts:
# the highest priority wins (RFC 5798 §6.4.2 / §6.4.3) and, once the election settles, exactly
# one host holds the VIP. On the wire: only the master advertises, to 224.0.0.18, with TTL 255
# (§5.1.1.3), version 3, its priority and a 10 cs interval.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init election "${1:-}"
lab_up 3

VIP=10.99.0.100
common=("KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=51 KEEPVIP_VRRP_VERSION=3 KEEPVIP_ADVERT_MS=100)
wire=0
lab_capture_start "" && wire=1

lab_start_trio "${common[@]}"

# (A lower priority may win the very first timeout when it starts a little earlier; it
# must then yield to host 1 at once. What is checked is the settled state.)
master=$(lab_wait_settled $VIP 5000 1000)
lab_expect_eq "highest priority (150) holds the VIP once settled" 1 "$master"
declare -A marks
for k in 1 2 3; do
	marks[$k]=$(lab_log_length $k)
done
if out=$(lab_watch_holders $VIP 1500 1); then
	lab_pass "exactly one holder over 15 advert intervals"
else
	lab_fail "exactly one holder over 15 advert intervals" "$out"
fi
lab_expect "host 1 logged BACKUP -> MASTER" lab_log_has 1 'BACKUP -> MASTER'
for k in 1 2 3; do
	lab_expect "host $k: no state change once settled" lab_log_lacks_after $k "${marks[$k]}" ' -> '
done
for k in 1 2 3; do
	lab_expect "host $k daemon still running" lab_is_running $k
done

if [ "$wire" = 1 ]; then
	lab_capture_stop
	adverts=$(lab_capture_text | grep -F 'VRRPv3, Advertisement')
	recent=$(echo "$adverts" | tail -n 10)
	lab_expect "wire: adverts captured" test -n "$adverts"
	lab_expect "wire: every advert has TTL 255" lab_all_lines_match "$adverts" 'ttl 255,'
	lab_expect "wire: every checksum is right" lab_no_line_matches "$adverts" 'bad vrrp cksum'
	lab_expect "wire: adverts go to 224.0.0.18" lab_all_lines_match "$adverts" '> 224\.0\.0\.18: VRRPv3'
	lab_expect "wire: settled adverts come from host 1 only, prio 150, intvl 10cs" \
		lab_all_lines_match "$recent" '10\.99\.0\.11 > 224\.0\.0\.18: VRRPv3, Advertisement, vrid 51, prio 150, intvl 10cs'
	lab_expect "wire: the advert lists the VIP" lab_all_lines_match "$recent" "addrs: $VIP\$"
else
	lab_log "tcpdump unavailable: wire checks skipped"
fi

lab_stop_all TERM
lab_assert_no_holder "no VIP left after every daemon exited" $VIP
lab_finish
