#!/usr/bin/env bash
# garp_refresh.sh — the gratuitous ARP burst and the refresh, seen on the wire (issue: "ARP and
# ND refresh"). Hosts 1 (priority 150) and 2 (100); KEEPVIP_GARP_REPEAT=3 and
# KEEPVIP_GARP_DELAY_MS=200 (keepalived's garp_master_repeat / garp_master_delay): becoming
# master, host 1 sends 3 gratuitous ARPs for the VIP 200 ms apart; KEEPVIP_GARP_REFRESH_S=2
# (garp_master_refresh): then one every 2 s while master. The backup sends none.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init garp_refresh "${1:-}"
lab_up 2

VIP=10.99.0.100
mac() { ip -n "$(lab_host_ns "$1")" -br link show eth0 | awk '{ print $3 }'; }
mac1=$(mac 1)
mac2=$(mac 2)
lab_capture_start "arp" || { lab_finish; exit; }
common=("KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=51 KEEPVIP_ADVERT_MS=100 KEEPVIP_MODE=multicast
	KEEPVIP_GARP_REPEAT=3 KEEPVIP_GARP_DELAY_MS=200 KEEPVIP_GARP_REFRESH_S=2)
lab_start_keepvip 1 "${common[@]}" KEEPVIP_PRIORITY=150
lab_start_keepvip 2 "${common[@]}" KEEPVIP_PRIORITY=100
lab_wait_holders $VIP 1 5000 || lab_die "host 1 did not become the only holder: $LAB_WHY"
lab_pass "host 1 is master"
# the burst (0.4 s) and three refreshes (2, 4, 6 s)
lab_sleep_ms 7000
lab_stop_all_clean $VIP 1 2
lab_capture_stop || lab_die "no capture"

# gratuitous ARPs (sender IP = target IP = the VIP) from MAC, as ms after the first one
garps() {
	tcpdump -r "$LAB_CAPTURE_FILE" -n -e -tt "arp and ether src $1" 2>/dev/null |
		awk -v vip="$VIP" '$0 ~ ("who-has " vip " .*tell " vip "($|[ ,])") {
			t = $1 * 1000; if (!n++) t0 = t; printf "%.0f\n", t - t0 }'
}
times=$(garps "$mac1")
lab_log "host 1's gratuitous ARPs (ms after the first): $(tr '\n' ' ' <<<"$times")"
lab_expect_eq "the backup (host 2) sent no gratuitous ARP" "" "$(garps "$mac2")"
n=$(grep -c . <<<"$times")
# 3 of the burst, then refreshes at 2, 4, 6 s; the stop comes before a fourth at 8 s
lab_expect_eq "host 1 sent 3 + 3 gratuitous ARPs" 6 "$n"
mapfile -t t <<<"$times"
# Tolerances: the machine may be busy (CI shares it); the default spacing is 1000 ms and the
# default refresh 60 s, so these still tell the settings apart.
within() { awk -v v="$1" -v want="$2" -v tol="$3" 'BEGIN { d = v - want; if (d < 0) d = -d; exit !(d <= tol) }'; }
lab_expect "burst: the second 200 ms after the first (${t[1]:-none} ms)" within "${t[1]:-0}" 200 100
lab_expect "burst: the third 400 ms after the first (${t[2]:-none} ms)" within "${t[2]:-0}" 400 100
lab_expect "refresh: 2 s after the first (${t[3]:-none} ms)" within "${t[3]:-0}" 2000 150
lab_expect "refresh: 4 s after the first (${t[4]:-none} ms)" within "${t[4]:-0}" 4000 150
lab_expect "refresh: 6 s after the first (${t[5]:-none} ms)" within "${t[5]:-0}" 6000 150
lab_finish
