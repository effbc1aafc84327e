#!/usr/bin/env bash
# nfq_selfcheck.sh — the userspace netem of the chaos harness (nfq_delay.py through nfq.sh)
# really delays and drops: two lab hosts, pings (-U: user-to-user time, the kernel's receive
# timestamp is taken before the INPUT hook) from host 1 to host 2 with the emulation on host 1
# (30 % loss, 100 ± 50 ms, both ways):
#   - without it: no loss, RTT under 20 ms (the baseline);
#   - uniform 100 ± 50 ms: each echo is held twice (out, and its reply in): RTT 200 ms on
#     average, never under 2 × 50 ms, never over 2 × 150 ms (+ scheduling); 1 - 0.7² = 51 %
#     of the pings lost; nfq_delay's own figures: ~30 % of its packets dropped, mean delay
#     100 ms, none outside 50..150 ms;
#   - normal (sigma 50 ms, clamped at 0): RTT 200 ms on average, loss as above;
#   - once off: no rule left, the process gone, no loss and a fast RTT again.
# Seeded (the same draws every run); the bounds are several standard deviations wide.
#   nfq_selfcheck.sh [KEEPVIP]  (the lab helpers want a keepvip binary; it is not started)
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/../integration/lib/netns.sh
. "$HERE/../integration/lib/netns.sh"
# shellcheck source=SCRIPTDIR/nfq.sh
. "$HERE/nfq.sh"

lab_init nfqcheck "${1:-}"
lab_up 2
command -v ping >/dev/null || lab_cannot_run "ping (iputils-ping) is not installed"
NS1=$(lab_host_ns 1)
NFQ_LOG="$LAB_DIR/nfq1.log"
nfq_usable "$NS1" "$NFQ_LOG" || lab_cannot_run "no NFQUEUE here: $(tail -n 1 "$NFQ_LOG" 2>/dev/null)"

# ping_stats COUNT: "LOSS_PCT MIN AVG MAX" of COUNT pings, 20 ms apart, host 1 to host 2.
ping_stats() {
	local out
	out=$(ip netns exec "$NS1" ping -U -n -q -c "$1" -i 0.02 -W 1 "$(lab_host_ipv4 2)" 2>&1)
	lab_log "ping: $(tail -n 2 <<<"$out" | tr '\n' ' ')"
	awk '/packet loss/ { for (i = 1; i <= NF; i++) if ($i ~ /%$/) { sub(/%/, "", $i); loss = $i } }
		/^rtt/ { split($4, r, "/"); min = r[1]; avg = r[2]; max = r[3] }
		END { printf "%s %s %s %s\n", loss == "" ? 100 : loss, min == "" ? -1 : min, avg == "" ? -1 : avg, max == "" ? -1 : max }' <<<"$out"
}
# shellcheck disable=SC2317 # called through lab_expect
within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }
expect_within() { lab_expect "$1 ($2 in $3..$4)" within "$2" "$3" "$4"; }

read -r loss min avg max < <(ping_stats 50)
lab_expect_eq "baseline: no loss" 0 "$loss"
expect_within "baseline: RTT avg ms" "$avg" 0 20

# uniform 100 ± 50 ms, 30 % loss, both ways on host 1
nfq_on "$NS1" selfcheck "$NFQ_LOG" || lab_die "nfq_delay did not start: $(tail -n 1 "$NFQ_LOG")"
read -r loss min avg max < <(ping_stats 200)
nfq_off "$NS1"
echo "uniform: loss $loss %, RTT min/avg/max $min/$avg/$max ms"
expect_within "uniform: ping loss % (51 expected)" "$loss" 36 66
expect_within "uniform: RTT min ms" "$min" 98 200
expect_within "uniform: RTT avg ms (200 expected)" "$avg" 180 230
expect_within "uniform: RTT max ms" "$max" 200 360
stats=$(grep '^nfq_delay: queue' "$NFQ_LOG" | tail -n 1)
echo "uniform: $stats"
read -r pkts drops dmean dmin dmax < <(awk '{ for (i = 1; i < NF; i++) {
		if ($i == "packets") p = $(i + 1); if ($i == "dropped") d = $(i + 1)
		if ($i == "mean") m = $(i + 1); if ($i == "min") lo = $(i + 1); if ($i == "max") hi = $(i + 1) } }
	END { print p + 0, d + 0, m + 0, lo + 0, hi + 0 }' <<<"$stats")
expect_within "uniform: packets held (out + replies in)" "$pkts" 250 400
expect_within "uniform: dropped % of them (30 expected)" "$(awk -v d="$drops" -v p="$pkts" 'BEGIN { print p ? 100 * d / p : 0 }')" 22 38
expect_within "uniform: mean delay ms" "$dmean" 92 108
expect_within "uniform: min delay ms" "$dmin" 50 70
expect_within "uniform: max delay ms" "$dmax" 130 150

# normal, sigma 50 ms
nfq_on "$NS1" selfcheck-normal "$NFQ_LOG" --dist normal || lab_die "nfq_delay (normal) did not start"
read -r loss min avg max < <(ping_stats 150)
nfq_off "$NS1"
echo "normal: loss $loss %, RTT min/avg/max $min/$avg/$max ms"
expect_within "normal: ping loss %" "$loss" 33 69
expect_within "normal: RTT avg ms (200 expected)" "$avg" 175 235

# off again
lab_expect "off: no NFQUEUE rule left" bash -c "! ip netns exec '$NS1' iptables -S | grep -q NFQUEUE"
lab_expect_eq "off: no nfq_delay left" 0 "${#NFQ_PID[@]}"
read -r loss min avg max < <(ping_stats 50)
lab_expect_eq "off: no loss" 0 "$loss"
expect_within "off: RTT avg ms" "$avg" 0 20
lab_finish
