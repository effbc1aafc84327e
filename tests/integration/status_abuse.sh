#!/usr/bin/env bash
# status_abuse.sh — the status server under abuse (lib/http_abuse.py, on the master's host):
# 1,000 concurrent connections held (half of them slow clients dribbling a byte a second; the
# server cuts any connection 5 s after accepting it, so they cannot hold its 32 slots),
# 1 MB URLs, garbage requests (random bytes, unknown methods, a header flood, bodies that
# never come, cut requests), for ABUSE_S seconds. Meanwhile the master's adverts keep their
# period: the longest gap between its adverts on the wire stays within 10 % of the interval
# (100 ms adverts: at most 110 ms), and the backup never takes over. The daemon's memory
# stays bounded, and /healthz answers again as soon as the abuse stops.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init status_abuse "${1:-}"
lab_up 2

VIP=10.99.0.100
PORT=9650
ADVERT_MS=100
ABUSE_S=${ABUSE_S:-12}
ABUSE="$(cd "$(dirname "$0")" && pwd)/lib/http_abuse.py"
common=("KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=51 "KEEPVIP_ADVERT_MS=$ADVERT_MS")
# The master runs SCHED_RR (KEEPVIP_REALTIME_PRIORITY): on a 2-core machine shared with other
# work (the abuser itself, other test runs) the scheduler alone can hold an ordinary process
# off the CPU for 20-50 ms, which is what a busy machine does to any daemon (bench/run.sh
# --rt measures that). Under SCHED_RR, what is left is the loop's own work: an MHD_run
# delayed the adverts only if it took that long itself (MHD_run logs its wall and CPU time
# at debug level when over 5 ms; without real-time, the longest seen took 24 ms of wall time
# for 0.1 ms of CPU).
lab_start_keepvip 1 "${common[@]}" KEEPVIP_PRIORITY=150 "KEEPVIP_STATUS_ADDR=127.0.0.1:$PORT" \
	KEEPVIP_REALTIME_PRIORITY=10
lab_start_keepvip 2 "${common[@]}" KEEPVIP_PRIORITY=100
lab_require_master_1 $VIP 5000 1000

in_host1() { ip netns exec "$(lab_host_ns 1)" "$@"; }
healthz() { in_host1 curl -s -o /dev/null -w '%{http_code}' --max-time 0.5 "http://127.0.0.1:$PORT/healthz"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/${LAB_PID[1]}/status"; }

lab_expect_eq "/healthz answers before the abuse" 200 "$(healthz)"
in_host1 curl -s -o /dev/null "http://127.0.0.1:$PORT/metrics" # the renderers are warm
rss_before=$(rss_kb)
backup_mark=$(lab_log_length 2)
capture=0
lab_capture_start "ip proto 112 and src host $(lab_host_ipv4 1)" && capture=1

t0=$(lab_now_us)
stats=$(in_host1 python3 "$ABUSE" --port "$PORT" --seconds "$ABUSE_S" 2>"$LAB_DIR/abuse.err")
t1=$(lab_now_us)
lab_log "abuse: $stats"
[ -s "$LAB_DIR/abuse.err" ] && lab_log "abuse stderr: $(tail -n 3 "$LAB_DIR/abuse.err")"
# /healthz again: every ~10 ms until it answers, from the instant the abuse tool returned.
back_ms=""
while [ $((($(lab_now_us) - t1) / 1000)) -lt 5000 ]; do
	if [ "$(healthz)" = 200 ]; then
		back_ms=$(lab_ms_between "$t1" "$(lab_now_us)")
		break
	fi
	lab_sleep_ms 10
done
rss_after=$(rss_kb)
lab_expect "the abuse ran ($(jq -r '"\(.held) held, \(.slow_bytes) slow bytes, \(.big_urls) 1 MB URLs, \(.garbage) garbage requests"' <<<"$stats" 2>/dev/null))" \
	[ -n "$stats" ]
lab_expect "1,000 connections were opened" [ "$(jq -r '.held + .held_failed' <<<"$stats")" -ge 1000 ]
# Slow clients must not hold every slot for the whole abuse (before the connection deadline,
# 32 of them did: 2 big URLs and 4 garbage requests got an answer in 12 s).
answered=$(jq -r '[.answers | to_entries[] | select(.key | test("^[0-9]+$")) | .value] | add // 0' <<<"$stats")
lab_expect "the server kept answering during the abuse ($answered HTTP answers, at least 100)" \
	[ "${answered:-0}" -ge 100 ]
lab_expect "/healthz answers again as soon as the abuse stops (${back_ms:-never} ms, bound 1000)" \
	[ -n "$back_ms" ] && awk -v v="${back_ms:-1e9}" 'BEGIN { exit !(v <= 1000) }'
if lab_keepvip_is_asan; then
	# ASan keeps freed memory in quarantine (256 MB): RSS says nothing there; leaks and
	# overflows are its own reports (lab_check_sanitizers).
	lab_log "ASan build: VmRSS $rss_before -> $rss_after kB, not judged"
else
	lab_expect "memory stays bounded (VmRSS $rss_before -> $rss_after kB, at most +8 MB)" \
		[ "$rss_after" -le $((rss_before + 8192)) ]
fi

if [ "$capture" = 1 ] && lab_capture_stop; then
	lab_expect_advert_period "the master's adverts during the abuse" "$t0" "$t1" $ADVERT_MS
fi
lab_expect "the backup never took over" lab_log_lacks_after 2 "$backup_mark" 'BACKUP -> MASTER'
lab_assert_single_holder "host 1 still holds the VIP alone" $VIP 1
lab_expect_eq "/metrics answers after the abuse" 200 \
	"$(in_host1 curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT/metrics")"
lab_stop_all_clean $VIP 1 2
lab_finish
