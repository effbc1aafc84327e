#!/usr/bin/env bash
# interop_v3_ucast.sh — keepvip joins a VRRPv3 (RFC 5798) unicast group run by keepalived
# 2.2.7: 100 ms adverts sent to each peer's address (keepalived: unicast_src_ip/unicast_peer;
# keepvip: KEEPVIP_PEERS), VRID 53. keepalived on host 1, keepvip on hosts 2 and 3.
# (a) keepalived higher: it is master; SIGKILL -> keepvip takes over; restart -> keepalived
#     preempts back; SIGTERM -> keepvip takes over after Skew_Time.
# (b) keepvip higher: it preempts keepalived; SIGKILL -> keepalived takes over; restart ->
#     keepvip preempts back; SIGTERM -> keepalived takes over after Skew_Time.
# keepalived 2.2.7 computes the v3 unicast checksum over the real destination; both sides
# must accept each other's. Then the old form (keepalived < 1.3.6, `old_unicast_checksum`:
# the pseudo-header carries 224.0.0.18): keepvip must accept it too and stay backup, and
# keepalived in that mode logs "Invalid VRRPv3 checksum" for keepvip's standard checksum —
# which shows that the complaint grep of every scenario catches what keepalived prints.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
# shellcheck source=lib/keepalived.sh
. "$(dirname "$0")/lib/keepalived.sh"
lab_init interop_v3_ucast "${1:-}"
ka_has_binary || lab_cannot_run "keepalived is not installed ($KA_BIN)"
lab_up 3

IO_VERSION=3
IO_ADVERT_MS=100
IO_VIP=10.99.0.100/24
IO_VRID=53
IO_UNICAST=1
ka_interop_keepalived_wins
ka_interop_keepvip_wins
ka_interop_end

# The old unicast checksum: keepalived (150, old form) master over keepvip (100, 50).
VIP=$(io_vip_addr)
wire=0
if command -v tshark >/dev/null; then
	lab_capture_start "" && wire=1
else
	lab_capture_unavailable "tshark is not installed"
fi
kv_lines=$(lab_log_length 2)
io_start_keepalived 150 old_unicast_checksum
# keepvip joins a running master, so that it has no reason of its own to become master.
lab_wait_holder 1 "$VIP" 3000
io_start_keepvip 2 100
io_start_keepvip 3 50
io_expect_settled "old checksum: keepalived (150) is master over keepvip (100, 50)" 1
lab_expect "old checksum: keepvip never became master (it accepts keepalived's adverts)" \
	lab_log_lacks_after 2 "$kv_lines" "BACKUP -> MASTER"
for k in 2 3; do
	lab_expect "old checksum: keepvip on host $k dropped no advert" \
		lab_log_lacks "$k" "$IO_KEEPVIP_DROPPED_RE"
done
if [ "$wire" = 1 ]; then
	lab_capture_stop
	# tshark checks the v3 checksum with the real destination (status 1 good, 0 bad): the
	# old form shows as bad, which proves keepalived really sent it in this round.
	verdicts=$(tshark -r "$LAB_CAPTURE_FILE" -Y "ip.src == $(io_host_addr 1) && vrrp.prio == 150" \
		-T fields -e vrrp.checksum.status 2>/dev/null | sort -u)
	lab_expect_eq "old checksum wire: keepalived's checksums fail the standard check" 0 "$verdicts"
fi

# Canary: keepvip master while keepalived (old form only) listens. keepalived rejects the
# standard checksum and says so; the complaint grep must see it. The keepvip daemons are
# started afresh: having heard keepalived's old form, the running ones would answer in kind.
lines=$(ka_log_length 1)
ka_stop 1 KILL
lab_stop 2 TERM
lab_stop 3 TERM
io_start_keepvip 2 100
io_start_keepvip 3 50
lab_wait_holder 2 "$VIP" 3000
io_start_keepalived 150 old_unicast_checksum
lab_wait_holders "$VIP" 1 5000
ka_stop 1 TERM
lab_expect "canary: keepalived's complaint about a checksum is caught by the grep" \
	lab_some_line_matches "$(ka_complaints 1 "$lines")" 'Invalid VRRPv3 checksum'

# keepvip answers an old-form peer in that form (keepalived 2.x does the same): a keepvip of
# higher priority preempts the old-form keepalived without one complaint from it.
lab_stop_all TERM
lines=$(ka_log_length 1)
kv_lines=$(lab_log_length 2)
io_start_keepalived 150 old_unicast_checksum
lab_wait_holder 1 "$VIP" 3000
io_start_keepvip 2 200
io_expect_settled "old checksum: keepvip (200) preempts keepalived (150, old form)" 2
lab_expect "old checksum: keepvip noticed the old form and answers in kind" \
	lab_log_has_after 2 "$kv_lines" 'checksums in the old .* form: answering in kind'
lab_expect "old checksum: keepalived accepts keepvip's adverts (no checksum complaint)" \
	lab_no_line_matches "$(ka_complaints 1 "$lines")" 'Invalid VRRPv3 checksum'
ka_stop 1 TERM
lab_stop_all TERM
lab_assert_no_holder "old checksum: no VIP left once every router has stopped" "$VIP"
ka_interop_finish
