#!/usr/bin/env bash
# demo.sh — three keepvip daemons in network namespaces; the master is SIGKILLed and the
# failover time is measured against the RFC 5798 bound.
#
#   ./scripts/demo.sh                      # as root (or through sudo); VRRPv3 multicast, 100 ms adverts
#   ADVERT_MS=1000 ./scripts/demo.sh       # any v3 interval (10..40950, step 10)
#   MODE=unicast ./scripts/demo.sh         # unicast adverts to the peers
#   KEEPVIP_BIN=path ./scripts/demo.sh     # a binary already built (no setup, no build)
#
# Everything runs in namespaces made for the demo (a switch with a bridge, three hosts); the
# root namespace is not touched, and everything is torn down at the end, even on Ctrl-C.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ADVERT_MS=${ADVERT_MS:-100}
MODE=${MODE:-multicast}
VIP=10.99.0.100
PRIORITIES=(150 100 50)

[ "$(id -u)" = 0 ] || { echo "demo.sh: needs root for network namespaces: run it as root (or through sudo)" >&2; exit 1; }

if [ -z "${KEEPVIP_BIN:-}" ]; then
	echo "== setup and build"
	bash "$ROOT/scripts/setup.sh" || exit 1
	cmake -S "$ROOT" -B "$ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 1
	cmake --build "$ROOT/build" -j "$(nproc)" --target keepvip >/dev/null || exit 1
	KEEPVIP_BIN=$ROOT/build/keepvip
fi

LAB_NEVER_SKIP=1
# shellcheck source=../tests/integration/lib/netns.sh
. "$ROOT/tests/integration/lib/netns.sh"
lab_init demo "$KEEPVIP_BIN"
lab_up 3

settings=("KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=51 KEEPVIP_VRRP_VERSION=3 "KEEPVIP_ADVERT_MS=$ADVERT_MS")
if [ "$MODE" = unicast ]; then
	settings+=("KEEPVIP_PEERS=10.99.0.11,10.99.0.12,10.99.0.13")
fi
wire=0
lab_capture_start "" && wire=1

echo
echo "== three hosts on one bridge (VRRPv3 $MODE, adverts every $ADVERT_MS ms, VIP $VIP)"
for k in 1 2 3; do
	lab_start_keepvip $k "${settings[@]}" KEEPVIP_PRIORITY="${PRIORITIES[k - 1]}"
	echo "   host$k  $(lab_host_ipv4 $k)  priority ${PRIORITIES[k - 1]}  (namespace $(lab_host_ns $k))"
done

master=$(lab_wait_settled $VIP $((ADVERT_MS * 10 + 5000)) $((ADVERT_MS * 5))) ||
	lab_die "no single master after the election (holders: '$master')"
echo
echo "== master: host$master"
ip -n "$(lab_host_ns "$master")" -o -4 addr show dev eth0 | awk '{ print "   " $2 " " $4 }'
lab_log_lines "$master" '-> MASTER' | sed 's/^/   log: /'

# The next master is the highest remaining priority.
next=0
for k in 1 2 3; do
	if [ "$k" != "$master" ] && { [ "$next" = 0 ] ||
		[ "${PRIORITIES[k - 1]}" -gt "${PRIORITIES[next - 1]}" ]; }; then
		next=$k
	fi
done
next_prio=${PRIORITIES[next - 1]}
mdi=$(lab_master_down_ms "$ADVERT_MS" "$next_prio")

echo
echo "== SIGKILL host$master (no goodbye: the others must notice the silence)"
log_mark=$(lab_log_length "$next")
killed_us=$(lab_now_us)
kill -KILL "${LAB_PID[$master]}"
lab_wait_holder "$next" $VIP $((ADVERT_MS * 40 + 5000)) ||
	lab_die "host$next did not take the VIP"
polled_ms=$(lab_ms_between "$killed_us" "$(lab_now_us)")
lab_wait_exit "$master" 2000

# The new master's own log line: its timestamp (ms, UTC) against the kill time.
line=$(tail -n "+$((log_mark + 1))" "$LAB_DIR/host$next.log" | grep -m1 -- '-> MASTER')
logged_ms=""
if [ -n "$line" ]; then
	stamp=$(awk '{ print $1 }' <<<"$line")
	if stamp_ms=$(date -u -d "$stamp" +%s%3N 2>/dev/null); then
		logged_ms=$(awk -v a="$killed_us" -v b="$stamp_ms" 'BEGIN { printf "%.1f", b - a / 1000 }')
	fi
fi

# On the wire: the last advert of the old master to the first of the new one.
blackout_ms=""
if [ "$wire" = 1 ]; then
	sleep 0.3
	lab_capture_stop
	blackout_ms=$(lab_capture_text | awk -v old="10.99.0.1$master" -v new="10.99.0.1$next" \
		-v killed="$killed_us" '
		/Advertisement/ {
			t = $1 * 1e6
			if (index($0, " " old " > ") && t <= killed) last_old = t
			if (index($0, " " new " > ") && t > killed && first_new == "") first_new = t
		}
		END { if (last_old != "" && first_new != "") printf "%.1f", (first_new - last_old) / 1000 }')
fi

echo
echo "== failover"
echo "   new master: host$next (priority $next_prio)"
printf '   %-62s %8s ms\n' "RFC 5798 bound: Master_Down_Interval = 3*$ADVERT_MS + (256-$next_prio)*$ADVERT_MS/256" "$mdi"
printf '   %-62s %8s ms\n' "SIGKILL -> VIP present on host$next (polled)" "$polled_ms"
[ -z "$logged_ms" ] ||
	printf '   %-62s %8s ms\n' "SIGKILL -> \"-> MASTER\" in host$next's log" "$logged_ms"
if [ -n "$blackout_ms" ]; then
	printf '   %-62s %8s ms  (%s of the bound)\n' \
		"advert blackout on the wire (last old -> first new advert)" "$blackout_ms" \
		"$(awk -v b="$blackout_ms" -v m="$mdi" 'BEGIN { printf "%+.1f%%", (b - m) * 100 / m }')"
fi
lab_log_lines "$next" '-> MASTER' | tail -n 1 | sed 's/^/   log: /'
echo "   holders now: host$(lab_holders $VIP | sed 's/ /, host/g')" \
	"(host$master keeps a leftover until its daemon restarts)"

echo
echo "== tear down"
lab_stop_all TERM
lab_log "demo done"
LAB_PASSED=1
lab_finish >/dev/null
