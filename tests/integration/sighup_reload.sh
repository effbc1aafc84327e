#!/usr/bin/env bash
# sighup_reload.sh — SIGHUP re-reads the settings (YAML file given by KEEPVIP_CONFIG, and
# env). With the same VRID, interface and VIPs the new settings apply in place, without a
# VIP blip (DESIGN "Behaviour"). A client in another namespace sends a UDP datagram to the
# VIP every 10 ms, answered by an echo on every host (the answer names the host), while the
# master is sent SIGHUP 10 times, each time with a new priority in its file: not one datagram
# may be lost, every answer must come from the master, the master logs every in-place reload
# and the last priority is the one on the wire. Then a broken file, and then a file naming
# another adapter: each SIGHUP is refused, logged, and the running settings (and the VIP) stay.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
# shellcheck source=lib/services.sh
. "$(dirname "$0")/lib/services.sh"
lab_init sighup_reload "${1:-}"
lab_up 3 # hosts 1 and 2 run keepvip, host 3 is the client

VIP=10.99.0.100
PORT=7000
RELOADS=10
RELOAD_EVERY_MS=250
CLIENT_INTERVAL_MS=10
LEAD_MS=300
TAIL_MS=1500
config="$LAB_DIR/keepvip1.yml"

# write_config PRIORITY [ORCHESTRATOR]: host 1's file, replaced atomically (as a configuration
# tool does). It names the adapter (default static): host 1's env leaves it out.
write_config() {
	cat >"$config.tmp" <<EOF
# host 1: written by sighup_reload.sh
vips: $VIP/24
vrid: 51
version: 3
advert_ms: 100
preempt: true
priority: $1
orchestrator: ${2:-static}
EOF
	mv -f "$config.tmp" "$config"
}

write_config 150
LAB_ORCHESTRATOR="" lab_start_keepvip 1 "KEEPVIP_CONFIG=$config"
lab_start_keepvip 2 "KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=51 KEEPVIP_VRRP_VERSION=3 \
	KEEPVIP_ADVERT_MS=100 KEEPVIP_PREEMPT=true KEEPVIP_PRIORITY=100
svc_udp_echo 1 $PORT
svc_udp_echo 2 $PORT

lab_require_master_1 $VIP 5000 1000
wire=0
lab_capture_start "" && wire=1

mark1=$(lab_log_length 1)
mark2=$(lab_log_length 2)
# The client runs until told to stop (at most 60 s), however slow the reload loop is.
svc_udp_client 3 $VIP $PORT $CLIENT_INTERVAL_MS 60000 "$LAB_DIR/client.out"
client=$SVC_PID
client_us=$(lab_now_us)
lab_sleep_ms $LEAD_MS
for i in $(seq 1 $RELOADS); do
	write_config $((150 + i))
	kill -HUP "${LAB_PID[1]}"
	lab_sleep_ms $RELOAD_EVERY_MS
done
last_prio=$((150 + RELOADS))

# A broken file: refused, the running settings stay.
bad_us=$(lab_now_us)
cat >"$config" <<EOF
vips: $VIP/24
vrid: 51
version: 3
advert_ms: 100
priority: 300
EOF
kill -HUP "${LAB_PID[1]}"
lab_sleep_ms 300

# Another adapter named: refused (switching adapters takes a restart), the settings stay.
write_config $((last_prio + 5)) rancher
kill -HUP "${LAB_PID[1]}"
lab_sleep_ms $TAIL_MS

duration=$((($(lab_now_us) - client_us) / 1000))
if svc_client_stop "$client" 5000; then
	sent=$(svc_client_summary "$LAB_DIR/client.out" sent)
	answered=$(svc_client_summary "$LAB_DIR/client.out" answered)
	by=$(svc_client_summary "$LAB_DIR/client.out" by)
	lab_expect "client sent a datagram every $CLIENT_INTERVAL_MS ms ($sent)" \
		test "${sent:-0}" -ge $((duration * 8 / 10 / CLIENT_INTERVAL_MS))
	lab_expect_eq "client: every datagram answered across $RELOADS reloads ($sent sent)" \
		"${sent:-?}" "${answered:-none}"
	lab_expect_eq "client: every answer came from host 1" "1:${sent:-?}" "$by"
	if [ "${sent:-}" != "${answered:-}" ]; then
		lab_log "client lost: $(grep '^lost_seq' "$LAB_DIR/client.out")"
	fi
else
	lab_fail "client finished" "still running 5 s after it was told to stop"
fi

reloaded=$(tail -n "+$((mark1 + 1))" "$LAB_DIR/host1.log" | grep -c 'SIGHUP: settings reloaded in place')
lab_expect_eq "host 1 logged $RELOADS in-place reloads" $RELOADS "$reloaded"
lab_expect "host 1 logged the new priority" \
	lab_log_has_after 1 "$mark1" "priority $((last_prio - 1)) -> $last_prio: settings reloaded"
lab_expect "host 1 logged the broken file and kept its settings" \
	lab_log_has_after 1 "$mark1" "SIGHUP: .*keepvip1\.yml.*priority.*; keeping the running settings"
lab_expect "host 1 refused another adapter and kept its settings" \
	lab_log_has_after 1 "$mark1" 'SIGHUP: orchestrator "rancher": the daemon runs with adapter static; a restart applies it; keeping the running settings'
lab_expect "host 1 kept priority $last_prio" \
	lab_log_lacks_after 1 "$mark1" "priority $last_prio -> "
lab_expect "host 1 never left MASTER" lab_log_lacks_after 1 "$mark1" 'MASTER -> '
lab_expect "host 1 did not restart its instance" lab_log_lacks_after 1 "$mark1" 'instances changed'
lab_expect "host 2 stayed backup" lab_log_lacks_after 2 "$mark2" '-> MASTER'
lab_assert_single_holder "host 1 still holds the VIP" $VIP 1
lab_expect "host 1 daemon still running" lab_is_running 1

if [ "$wire" = 1 ]; then
	lab_capture_stop
	adverts=$(lab_capture_text | grep -F 'VRRPv3, Advertisement')
	after_bad=$(printf '%s\n' "$adverts" |
		awk -v t="$bad_us" '$1 > t / 1e6 + 0.2' | grep -F ' 10.99.0.11 > ')
	lab_expect "wire: after the two refused reloads host 1 still advertises prio $last_prio" \
		lab_all_lines_match "$after_bad" \
		"10\\.99\\.0\\.11 > 224\\.0\\.0\\.18: VRRPv3, Advertisement, vrid 51, prio $last_prio,"
	lab_expect "wire: only host 1 advertised during the reloads" \
		lab_no_line_matches "$adverts" ' 10\.99\.0\.12 > '
	gaps=$(svc_advert_gaps "$adverts" 10.99.0.11)
	lab_expect_le "wire: host 1's adverts kept their pace (largest gap)" "$(svc_max "$gaps")" 200
else
	lab_log "tcpdump unavailable: wire checks skipped"
fi

lab_stop_all_clean $VIP 1 2
lab_finish
