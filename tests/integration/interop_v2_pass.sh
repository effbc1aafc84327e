#!/usr/bin/env bash
# interop_v2_pass.sh (not "_auth": keepalived.sh reads "auth" in a log line, the lab path
# included, as a complaint) — keepvip joins a keepalived 2.2.7 VRRPv2 multicast group that uses
# authentication { auth_type PASS } (RFC 2338 §5.3.6.1; RFC 3768 §5.3.6): 1 s adverts to
# 224.0.0.18, VRID 53, password "kvlpass1" on every router (KEEPVIP_AUTH_PASS on keepvip).
# (a), (b), end: the whole mixed-group run of interop_v2_mcast.sh (lib/keepalived.sh):
#     elections and failover both ways, no complaint on either side.
# (c) another password on keepalived: each side drops the other's adverts, so each is master
#     of its own group. keepvip counts keepalived's adverts under "auth" and never steps down
#     for keepalived's higher priority; keepalived logs "received an invalid passwd!".
# (d) no password on keepvip, PASS on keepalived: the Auth Type differs, each drops the
#     other's adverts again (keepalived: "received a 0 auth, expecting 1!").
# The password never appears in keepvip's log, /status or `keepvip check`.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
# shellcheck source=lib/keepalived.sh
. "$(dirname "$0")/lib/keepalived.sh"
lab_init interop_v2_pass "${1:-}"
ka_has_binary || lab_cannot_run "keepalived is not installed ($KA_BIN)"
lab_up 3

IO_VERSION=2
IO_ADVERT_MS=1000
IO_VIP=10.99.0.100/24
IO_VRID=53
IO_UNICAST=0
IO_AUTH_PASS=kvlpass1
PORT=9650

ka_interop_keepalived_wins
ka_interop_keepvip_wins
ka_interop_end

# auth_drops HOST: the host's adverts dropped for authentication (/metrics, every instance).
auth_drops() {
	ip netns exec "$(lab_host_ns "$1")" python3 - "$PORT" <<'PY'
import re, sys, urllib.request
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=5).read().decode()
pattern = re.compile(r'^keepvip_advert_rejects_total\{[^}]*reason="auth"[^}]*\} (\d+)$')
print(sum(int(m.group(1)) for m in map(pattern.match, text.splitlines()) if m))
PY
}

# mismatch TAG KEEPVIP_PASS KEEPALIVED_PASS KA_LOG_RE: keepalived (150) and keepvip (100) with
# passwords that do not agree: both end up master of their own group, keepvip counts every
# advert of keepalived's as an "auth" drop and its state never moves for them.
mismatch() {
	local tag=$1 kv_pass=$2 ka_pass=$3 ka_re=$4 ka_mark kv_mark counted sent
	local -a settings=("KEEPVIP_VIPS=$IO_VIP" "KEEPVIP_VRID=$IO_VRID" KEEPVIP_PRIORITY=100
		KEEPVIP_ADVERT_MS=1000 KEEPVIP_VRRP_VERSION=2 KEEPVIP_MODE=multicast
		"KEEPVIP_STATUS_ADDR=127.0.0.1:$PORT")
	[ -z "$kv_pass" ] || settings+=("KEEPVIP_AUTH_PASS=$kv_pass")
	ka_mark=$(ka_log_length 1)
	ka_write_conf 1 "$IO_VRID" 150 1000 2 "$IO_VIP" ${ka_pass:+"auth_pass=$ka_pass"}
	ka_start 1
	lab_wait_holder 1 "$(io_vip_addr)" 8000 || lab_fail "$tag: keepalived alone takes the VIP" "$LAB_WHY"
	kv_mark=$(lab_log_length 2)
	# Every advert keepalived puts on the wire from keepvip's start on is counted, no more, no
	# less (one sent while keepvip opens its socket may be missed).
	lab_capture_start "ip proto 112 and src host $(lab_host_ipv4 1)" || true
	lab_start_keepvip 2 "${settings[@]}"
	# keepvip hears nothing it accepts: it becomes master after Master_Down_Interval.
	if lab_wait_holders "$(io_vip_addr)" "1 2" 8000; then
		lab_pass "$tag: keepvip (100) ignores keepalived (150) and is master of its own group"
	else
		lab_fail "$tag: keepvip (100) ignores keepalived (150)" "$LAB_WHY"
	fi
	lab_sleep_ms 2000
	counted=$(auth_drops 2)
	if lab_capture_stop; then
		sent=$(tcpdump -r "$LAB_CAPTURE_FILE" -n 2>/dev/null | wc -l)
		# keepalived, master, advertises every second while keepvip is a silent backup (3.6 s);
		# once keepvip is master too, each of keepvip's adverts (dropped by keepalived) pushes
		# keepalived's next one back, so few more follow.
		lab_expect "$tag: keepalived sent adverts ($sent)" [ "$sent" -ge 3 ]
		lab_expect "$tag: keepvip counted each under \"auth\" ($counted of $sent)" \
			[ "$counted" -ge $((sent - 1)) -a "$counted" -le "$sent" ]
	fi
	lab_expect "$tag: keepvip logs the drop (rate-limited)" \
		lab_log_has_after 2 "$kv_mark" "advert from $(io_advert_src 1) dropped: auth"
	lab_expect "$tag: keepvip never stepped down for keepalived's higher priority" \
		lab_log_lacks_after 2 "$kv_mark" "MASTER -> BACKUP"
	lab_expect "$tag: keepvip still master (both hold the VIP: two groups)" \
		lab_watch_holders "$(io_vip_addr)" 2000 "1 2"
	lab_expect "$tag: keepalived logs: $ka_re" \
		grep -qE -- "$ka_re" <(tail -n "+$((ka_mark + 1))" "$(ka_log_file 1)")
	lab_log "$tag: keepalived said: $(tail -n "+$((ka_mark + 1))" "$(ka_log_file 1)" |
		grep -E 'invalid passwd|auth, expecting' | cut -c26- | sort | uniq -c | head -n 3 |
		tr -s ' \n' ' ')"
	ka_stop 1 TERM
	lab_stop 2 TERM
}

mismatch "(c) another password" kvlpass1 otherpw 'received an invalid passwd'
# keepvip_log_lacks HOST TEXT: no line of keepvip's own in the host's log holds TEXT (the
# lab's "===== start: SETTINGS" lines are the harness's, not keepvip's).
keepvip_log_lacks() { ! grep -vF ' ===== ' "$LAB_DIR/host$1.log" | grep -F -- "$2" >/dev/null; }
lab_expect "(c) keepvip never logged its password" keepvip_log_lacks 2 kvlpass1
mismatch "(d) no password on keepvip" "" kvlpass1 'received a 0 auth, expecting 1'

# The password is a secret: masked by `keepvip check`, absent from /status and the logs.
lab_exec_keepvip 2 check "KEEPVIP_VIPS=$IO_VIP" KEEPVIP_VRRP_VERSION=2 KEEPVIP_AUTH_PASS=kvlpass1
lab_expect "keepvip check masks auth_pass" grep -qF 'auth_pass: "***"' "$LAB_DIR/exec.out"
lab_expect "keepvip check never shows the password" \
	sh -c "! grep -q kvlpass1 '$LAB_DIR/exec.out' '$LAB_DIR/exec.err'"
lab_start_keepvip 2 "KEEPVIP_VIPS=$IO_VIP" "KEEPVIP_VRID=$IO_VRID" KEEPVIP_VRRP_VERSION=2 \
	KEEPVIP_AUTH_PASS=kvlpass1 "KEEPVIP_STATUS_ADDR=127.0.0.1:$PORT"
lab_wait_holder 2 "$(io_vip_addr)" 8000
status=$(ip netns exec "$(lab_host_ns 2)" curl -s "http://127.0.0.1:$PORT/status")
lab_expect "/status answers" [ -n "$status" ]
lab_expect "/status never shows the password" lab_no_line_matches "$status" kvlpass1
lab_stop 2 TERM
lab_expect "no keepvip log line holds the password" keepvip_log_lacks 2 kvlpass1
ka_interop_finish
