#!/usr/bin/env bash
# systemd_notify.sh — keepvip as the systemd unit runs it (systemd-templates/keepvip.service):
# Type=notify, WatchdogSec=, an unprivileged process with only CAP_NET_ADMIN and CAP_NET_RAW.
# No systemd is needed: a listener stands in for it on a NOTIFY_SOCKET, and setpriv gives the
# daemon the unit's user and capabilities (uid nobody, ambient and bounding set NET_ADMIN +
# NET_RAW), so the hardening is proven not to break netlink and raw sockets.
#  - READY=1 arrives once the election has started, before the VIP is taken (Master_Down);
#  - WATCHDOG=1 every WATCHDOG_USEC/2 from the loop (WATCHDOG_USEC=400000: every 200 ms);
#  - SIGTERM: STOPPING=1, exit 0, VIP released, no ping after STOPPING=1;
#  - WATCHDOG_PID naming another process: READY=1 but no ping.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init systemd_notify "${1:-}"
lab_up 1

VIP=10.99.0.100
ADVERT_MS=100
settings=("KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=51 "KEEPVIP_ADVERT_MS=$ADVERT_MS" KEEPVIP_PRIORITY=100)
command -v setpriv >/dev/null || lab_cannot_run "setpriv (util-linux) is missing"

# The notify socket lives in a directory the unprivileged daemon can reach.
chmod 711 "$LAB_DIR"
SOCK_DIR="$LAB_DIR/notify"
mkdir -m 755 "$SOCK_DIR"
SOCK="$SOCK_DIR/notify.sock"
NOTES="$LAB_DIR/notify.log"

# The stand-in for systemd: one line per datagram, "EPOCH_US MESSAGE" (newlines as '|').
python3 - "$SOCK" "$NOTES" >"$LAB_DIR/listener.log" 2>&1 <<'PY' &
import os, socket, sys, time
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
with open(out, "a", buffering=1) as f:
    while True:
        msg = s.recv(4096).decode("utf-8", "replace")
        f.write("%d %s\n" % (time.time_ns() // 1000, msg.replace("\n", "|")))
PY
LISTENER=$!
lab_track_pid "$LISTENER"
for _ in $(seq 1 500); do [ -S "$SOCK" ] && break; sleep 0.01; done
[ -S "$SOCK" ] || lab_die "the notify listener did not start: $(cat "$LAB_DIR/listener.log")"

# The unit's process: uid/gid nobody, only the two capabilities, ambient (User= + Ambient...).
KEEPVIP_REAL=$LAB_KEEPVIP
LAB_KEEPVIP="$LAB_DIR/keepvip-as-unit"
cat >"$LAB_KEEPVIP" <<SH
#!/bin/sh
exec setpriv --reuid=65534 --regid=65534 --clear-groups \
	--inh-caps=-all,+net_admin,+net_raw --ambient-caps=-all,+net_admin,+net_raw \
	--bounding-set=-all,+net_admin,+net_raw "$KEEPVIP_REAL" "\$@"
SH
chmod 755 "$LAB_KEEPVIP"

# notes_of PATTERN: the notify lines whose message matches PATTERN (ERE).
notes_of() { grep -E -- "^[0-9]+ .*$1" "$NOTES" 2>/dev/null; }
# first_us PATTERN: the time of the first such line.
first_us() { notes_of "$1" | head -n 1 | awk '{ print $1 }'; }
# ping_times [FROM_US]: the times of the WATCHDOG=1 messages (alone in their datagram) from
# FROM_US on.
ping_times() { awk -v from="${1:-0}" '$2 == "WATCHDOG=1" && $1 >= from { print $1 }' "$NOTES"; }

# --- start: READY before the VIP, as an unprivileged process -----------------------------
lab_start_keepvip 1 "${settings[@]}" "NOTIFY_SOCKET=$SOCK" WATCHDOG_USEC=400000
pid=${LAB_PID[1]}
lab_wait_holder 1 $VIP 5000 || lab_die "host 1 did not take the VIP: $(tail -n 5 "$LAB_DIR/host1.log")"
held_us=$(lab_now_us)
lab_pass "unprivileged (uid 65534, CAP_NET_ADMIN + CAP_NET_RAW only) keepvip takes the VIP"

lab_expect_eq "runs as uid 65534" 65534 "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")"
lab_expect_eq "effective capabilities: NET_ADMIN + NET_RAW" 0000000000003000 \
	"$(awk '/^CapEff:/ { print $2 }' "/proc/$pid/status")"

ready_us=$(first_us 'READY=1')
lab_expect "READY=1 sent" [ -n "$ready_us" ]
lab_expect "READY=1 carries a STATUS" notes_of 'READY=1\|STATUS=running 1 instance'
# The master's own log line says when it took the VIP; READY=1 must come before it.
master_line=$(lab_log_lines 1 '-> MASTER' | head -n 1)
master_ms=$(date -u -d "$(awk '{ print $1 }' <<<"$master_line")" +%s%3N 2>/dev/null || echo "")
if [ -n "$ready_us" ] && [ -n "$master_ms" ] && [ $((ready_us / 1000)) -le "$master_ms" ]; then
	lab_pass "READY=1 before the VIP is taken ($(lab_ms_between "$ready_us" "$((master_ms * 1000))") ms earlier)"
else
	lab_fail "READY=1 before the VIP is taken" "READY at ${ready_us:-never} us, MASTER at ${master_ms:-?} ms"
fi
lab_expect "READY=1 once" [ "$(notes_of 'READY=1' | wc -l)" = 1 ]

# --- watchdog: a ping every 200 ms -------------------------------------------------------
lab_sleep_ms 1500
pings=$(ping_times "$held_us" | wc -l)
lab_expect "WATCHDOG=1 every 200 ms: 6..9 pings in the 1.5 s after the VIP (got $pings)" \
	[ "$pings" -ge 6 ] && [ "$pings" -le 9 ]
max_gap_ms=$(ping_times | awk 'NR > 1 { g = ($1 - prev) / 1000; if (g > m) m = g } { prev = $1 }
	END { if (NR > 1) printf "%.0f", m }')
lab_expect_le "largest gap between pings" "${max_gap_ms:-99999}" 300

# --- SIGTERM: STOPPING=1, then a clean exit -----------------------------------------------
lab_stop 1 TERM 3000
lab_expect_eq "SIGTERM: exit 0" 0 "${LAB_RC[1]}"
stopping_us=$(first_us 'STOPPING=1')
lab_expect "STOPPING=1 sent on SIGTERM" [ -n "$stopping_us" ]
lab_expect "no VIP left after the exit" lab_host_lacks 1 $VIP
last_ping=$(ping_times | tail -n 1)
lab_expect_le "pings go on until the stop (last ping to STOPPING=1)" \
	"$(lab_ms_between "${last_ping:-0}" "${stopping_us:-0}")" 300
lab_expect_eq "no WATCHDOG=1 after STOPPING=1" 0 "$(ping_times "$((${stopping_us:-0} + 1))" | wc -l)"

# --- a watchdog meant for another process -------------------------------------------------
: >"$NOTES"
lab_start_keepvip 1 "${settings[@]}" "NOTIFY_SOCKET=$SOCK" WATCHDOG_USEC=400000 WATCHDOG_PID=1
lab_wait_holder 1 $VIP 5000 || lab_die "host 1 did not take the VIP (second run)"
lab_sleep_ms 800
lab_expect "WATCHDOG_PID of another process: READY=1 sent" notes_of 'READY=1'
lab_expect_eq "WATCHDOG_PID of another process: no ping" 0 "$(ping_times | wc -l)"
lab_stop 1 TERM 3000
lab_expect_eq "second run: exit 0" 0 "${LAB_RC[1]}"

kill "$LISTENER" 2>/dev/null
wait "$LISTENER" 2>/dev/null
lab_untrack_pid "$LISTENER"
lab_finish
