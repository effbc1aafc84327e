#!/usr/bin/env bash
# rogue_adverts.sh — malformed and rogue adverts, sent with raw sockets from a third lab host
# (lib/vrrp_inject.py), reach the master of a unicast pair. RFC 5798 §7.1 / RFC 3768 §7.1 say
# what a receiver MUST drop; DESIGN "Behaviour" adds: only from a known peer in unicast mode,
# and every drop counted by its reason. For each kind: exactly the packets sent are counted
# under their own reason in /metrics, and nothing changes: host 1 stays master and the only
# holder, host 2 stays backup. The drop log line is rate-limited (a burst, then one per 10 s).
# Then 100,000 random packets (random bytes, and valid adverts with bytes changed and the
# checksum made right), from outside the peer set, change nothing and crash nothing.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init rogue_adverts "${1:-}"
lab_up 3

VIP=10.99.0.100
PORT=9650
H1=10.99.0.11
H2=10.99.0.12
H3=10.99.0.13
INJECT="$(cd "$(dirname "$0")" && pwd)/lib/vrrp_inject.py"
N=20
common=("KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=51 KEEPVIP_ADVERT_MS=100 "KEEPVIP_PEERS=$H1,$H2")
lab_start_keepvip 1 "${common[@]}" KEEPVIP_PRIORITY=150 "KEEPVIP_STATUS_ADDR=127.0.0.1:$PORT"
lab_start_keepvip 2 "${common[@]}" KEEPVIP_PRIORITY=100
lab_require_master_1 $VIP 5000 1000

# rejects REASON: host 1's drops counted under REASON ('.*': every reason), every interface
# and instance summed.
rejects() {
	ip netns exec "$(lab_host_ns 1)" python3 - "$PORT" "$1" <<'PY'
import re, sys, urllib.request
port, reason = sys.argv[1], sys.argv[2]
text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
pattern = re.compile(r'^keepvip_advert_rejects_total\{[^}]*reason="%s"[^}]*\} (\d+)$' % reason)
print(sum(int(m.group(1)) for m in map(pattern.match, text.splitlines()) if m))
PY
}

# inject ARGS...: from host 3, N copies of one packet to host 1 (source: host 2 unless given).
inject() {
	ip netns exec "$(lab_host_ns 3)" python3 "$INJECT" --dst $H1 --vrid 51 --addr $VIP \
		--repeat $N --gap-ms 2 "$@" >/dev/null
}

# case NAME REASON ARGS...: the packets of ARGS are all counted under REASON, nothing moves.
case_of() {
	local name=$1 reason=$2 before after
	shift 2
	before=$(rejects "$reason")
	if ! inject "$@"; then
		lab_fail "$name" "the injector failed"
		return
	fi
	lab_sleep_ms 300
	after=$(rejects "$reason")
	lab_expect_eq "$name: $N drops counted as $reason" "$N" "$((after - before))"
	lab_assert_single_holder "$name: host 1 still holds the VIP alone" $VIP 1
}

mark=$(lab_log_length 1)
case_of "TTL 64, not 255 (RFC 5798 §7.1)" ttl --src $H2 --prio 200 --ttl 64
case_of "a bad checksum" checksum --src $H2 --prio 200 --bad-checksum
case_of "another VRID" vrid --src $H2 --prio 200 --vrid 52
case_of "version 4" version --src $H2 --prio 200 --version 4
case_of "version 2 to a version 3 router" version_mismatch --src $H2 --prio 200 --version 2
case_of "type 2 (RFC 5798 §5.2.2)" type --src $H2 --prio 200 --type 2
case_of "cut inside its address" too_short --src $H2 --prio 200 --truncate 10
case_of "Count 3 with one address" addr_count --src $H2 --prio 200 --count 3
case_of "bytes after the addresses" addr_count --src $H2 --prio 200 --extra 4
case_of "a v3 interval of 0" interval --src $H2 --prio 200 --interval-cs 0
case_of "priority 255 from outside the peer set" unknown_peer --src $H3 --prio 255
lines=$(tail -n "+$((mark + 1))" "$LAB_DIR/host1.log" | grep -c 'dropped')
# 11 kinds x 20 packets in about 10 s: 5 lines at once, then at most one per 10 s per counter
# (the interface's and the instance's), so a handful of lines, never one per packet.
lab_expect "the drop log is rate-limited ($lines lines for $((11 * N)) drops)" [ "$lines" -le 10 ]

backup_mark=$(lab_log_length 2)
all_before=$(rejects '[a-z_]*')
if out=$(ip netns exec "$(lab_host_ns 3)" python3 "$INJECT" --src $H3 --dst $H1 --vrid 51 \
	--addr $VIP --random 100000 --seed "${SEED:-$RANDOM}"); then
	lab_pass "100000 random packets sent ($out)"
else
	lab_fail "100000 random packets sent" "the injector failed: $out"
fi
lab_sleep_ms 500
counted=$(($(rejects '[a-z_]*') - all_before))
# the kernel may drop some of a burst this fast (socket buffer): most must arrive and count
lab_expect "the random packets that arrived were all dropped and counted ($counted)" \
	[ "$counted" -ge 50000 -a "$counted" -le 100000 ]
lab_expect "host 1 still runs" lab_is_running 1
lab_expect "host 2 still runs" lab_is_running 2
lab_assert_single_holder "after the random packets host 1 still holds the VIP alone" $VIP 1
lab_expect "host 1 changed no state" lab_log_lacks_after 1 "$mark" ' -> '
lab_expect "host 2 changed no state" lab_log_lacks_after 2 "$backup_mark" ' -> '

lab_stop_all_clean $VIP 1 2
lab_finish
