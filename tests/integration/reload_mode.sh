#!/usr/bin/env bash
# reload_mode.sh — a SIGHUP that changes how adverts travel (README "SIGHUP"): the mode, the
# peers pinned or not, the peers file. Such a change rejoins (group membership and the peer
# source redone) without a VIP blip; it must not leave the instance deaf on its new transport.
#  A. Mode. Host 1 (priority 100) runs alone in unicast mode without peers: master. Its file
#     is switched to multicast and it gets SIGHUP: it logs a rejoin and keeps the VIP. Then
#     host 2 (priority 150, multicast) starts and preempts it: exactly one holder, host 2.
#     (Before the fix the group was joined only at start: host 1 never heard host 2, and both
#     held the VIP.)
#  B. Peers. Host 1 (priority 150, unicast) pins its peers in its file to an address nobody
#     has (peers:), while its peers file (peers_file) names host 2; host 2 (priority 100)
#     pins host 1. Host 1 advertises to nobody: two holders. SIGHUP without peers: host 1 takes
#     the adapter's peers at once (the adapter's last answer is replayed; the file does not
#     change): host 2 steps down, one holder. Then the file names another peers file: host 1
#     reads it at once, follows its changes, and no longer follows the old one.
#  C. Restart. Host 1's file names an interface that does not exist: the new instance cannot
#     be built, the reload is refused and logged, the running instance keeps the VIP. Then its
#     VIPs change: the instance restarts and holds the new VIP, not the old one.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init reload_mode "${1:-}"
lab_up 2

VIP=10.99.0.100
VIP2=10.99.0.101
APPLY_MS=1500   # a reload's effect: at once, plus a few 100 ms adverts
config="$LAB_DIR/keepvip1.yml"

# write_config LINE...: host 1's file, replaced atomically (as a configuration tool does);
# its VIPs are $CONFIG_VIPS (default $VIP/24).
write_config() {
	printf '%s\n' "# host 1: written by reload_mode.sh" "vips: ${CONFIG_VIPS:-$VIP/24}" "version: 3" \
		"advert_ms: 100" "preempt: true" "$@" >"$config.tmp"
	mv -f "$config.tmp" "$config"
}

# write_peers NAME ADDRESS...: a peers file in the lab directory, replaced atomically.
write_peers() {
	local file="$LAB_DIR/$1"
	shift
	printf '%s\n' "$@" >"$file.tmp" && mv -f "$file.tmp" "$file"
}

# ---- A. unicast -> multicast --------------------------------------------------------------
write_config "vrid: 51" "priority: 100" "mode: unicast"
lab_start_keepvip 1 "KEEPVIP_CONFIG=$config"
if lab_wait_holders $VIP 1 5000; then
	lab_pass "A: host 1 alone in unicast mode is master"
else
	lab_die "A: host 1 alone did not become master: $LAB_WHY"
fi

mark1=$(lab_log_length 1)
write_config "vrid: 51" "priority: 100" "mode: multicast"
kill -HUP "${LAB_PID[1]}"
if lab_wait_log_after 1 "$mark1" 'SIGHUP: settings reloaded' 3000; then
	lab_pass "A: host 1 reloaded its settings"
else
	lab_fail "A: host 1 reloaded its settings" "no reload line in $LAB_WAITED_MS ms"
fi
lab_expect "A: host 1 logged the mode change as a rejoin" \
	lab_log_has_after 1 "$mark1" 'VI_51: rejoined \(mode'
lab_expect "A: host 1 did not restart its instance" \
	lab_log_lacks_after 1 "$mark1" 'instances changed|restarting'
lab_expect "A: host 1 kept the VIP through the rejoin" lab_host_holds 1 $VIP

lab_start_keepvip 2 "KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=51 KEEPVIP_VRRP_VERSION=3 \
	KEEPVIP_ADVERT_MS=100 KEEPVIP_PREEMPT=true KEEPVIP_PRIORITY=150 KEEPVIP_MODE=multicast
if lab_wait_holders $VIP 2 5000; then
	lab_pass "A: host 2 (prio 150) takes over, host 1 steps down ($LAB_WAITED_MS ms)"
else
	lab_fail "A: host 2 (prio 150) takes over, host 1 steps down" "$LAB_WHY"
fi
if out=$(lab_watch_holders $VIP 1500 2); then
	lab_pass "A: exactly one holder (host 2) once the election settled"
else
	lab_fail "A: exactly one holder (host 2) once the election settled" "$out"
fi
lab_expect "A: host 1 heard host 2 over multicast" \
	lab_log_has_after 1 "$mark1" 'MASTER -> BACKUP'
lab_stop_all_clean $VIP 1 2

# ---- B. pinned -> unpinned peers, then another peers file ------------------------------------
write_peers peersA.txt 10.99.0.11 10.99.0.12
write_config "vrid: 52" "priority: 150" "mode: unicast" "peers: [10.99.0.19]" \
	"peers_file: $LAB_DIR/peersA.txt" "interface: eth0"
# The interface comes from the file (C changes it): the lab's KEEPVIP_INTERFACE is emptied.
lab_start_keepvip 1 "KEEPVIP_CONFIG=$config" KEEPVIP_INTERFACE=
lab_start_keepvip 2 "KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=52 KEEPVIP_VRRP_VERSION=3 \
	KEEPVIP_ADVERT_MS=100 KEEPVIP_PRIORITY=100 KEEPVIP_MODE=unicast KEEPVIP_PEERS=10.99.0.11
if lab_wait_holders $VIP "1 2" 5000; then
	lab_pass "B: host 1's pinned peer is nobody: two holders"
else
	lab_die "B: host 1's pinned peer is nobody: expected two holders: $LAB_WHY"
fi

mark1=$(lab_log_length 1)
write_config "vrid: 52" "priority: 150" "mode: unicast" "peers_file: $LAB_DIR/peersA.txt" \
	"interface: eth0"
kill -HUP "${LAB_PID[1]}"
if lab_wait_holders $VIP 1 $APPLY_MS 1; then
	lab_expect_le "B: unpinned: host 1 takes the adapter's peers at once, host 2 steps down" \
		"$LAB_WAITED_MS" $APPLY_MS
else
	lab_fail "B: unpinned: host 1 takes the adapter's peers at once" "$LAB_WHY"
fi
lab_expect "B: host 1 logged the adapter's peer" \
	lab_log_has_after 1 "$mark1" 'VI_52: peers changed: .*\+10\.99\.0\.12'
lab_expect "B: host 1 logged the unpinning as a rejoin" \
	lab_log_has_after 1 "$mark1" 'VI_52: rejoined \(.*peers'

mark1=$(lab_log_length 1)
write_peers peersB.txt 10.99.0.12 10.99.0.18
write_config "vrid: 52" "priority: 150" "mode: unicast" "peers_file: $LAB_DIR/peersB.txt" \
	"interface: eth0"
kill -HUP "${LAB_PID[1]}"
if lab_wait_log_after 1 "$mark1" 'peers changed: .*\+10\.99\.0\.18' $APPLY_MS; then
	lab_pass "B: another peers file: host 1 reads it at once ($LAB_WAITED_MS ms)"
else
	lab_fail "B: another peers file: host 1 reads it at once" "no peers change in $LAB_WAITED_MS ms"
fi
lab_expect "B: the new peers file applied in place" \
	lab_log_has_after 1 "$mark1" 'SIGHUP: settings reloaded in place'

mark1=$(lab_log_length 1)
write_peers peersB.txt 10.99.0.12 10.99.0.17
if lab_wait_log_after 1 "$mark1" 'peers changed: .*\+10\.99\.0\.17' $APPLY_MS; then
	lab_pass "B: host 1 follows the new peers file's changes ($LAB_WAITED_MS ms)"
else
	lab_fail "B: host 1 follows the new peers file's changes" "no peers change in $LAB_WAITED_MS ms"
fi
mark1=$(lab_log_length 1)
write_peers peersA.txt 10.99.0.12 10.99.0.16
lab_sleep_ms 1000
lab_expect "B: host 1 no longer follows the old peers file" \
	lab_log_lacks_after 1 "$mark1" '10\.99\.0\.16'
if out=$(lab_watch_holders $VIP 500 1); then
	lab_pass "B: host 1 kept the VIP alone through every reload"
else
	lab_fail "B: host 1 kept the VIP alone through every reload" "$out"
fi
lab_expect "B: host 1 never left MASTER" lab_log_lacks 1 'VI_52: MASTER -> '

# ---- C. a restart that cannot be built is refused; one that can be built restarts ------------
mark1=$(lab_log_length 1)
write_config "vrid: 52" "priority: 150" "mode: unicast" "peers_file: $LAB_DIR/peersB.txt" \
	"interface: kvnone9"
kill -HUP "${LAB_PID[1]}"
if lab_wait_log_after 1 "$mark1" 'SIGHUP: VI_52: .*kvnone9.*; keeping the running settings' 3000; then
	lab_pass "C: an instance that cannot be built: the reload is refused and logged"
else
	lab_fail "C: an instance that cannot be built: the reload is refused and logged" \
		"no such line in $LAB_WAITED_MS ms"
fi
lab_expect "C: the running instance was not stopped" \
	lab_log_lacks_after 1 "$mark1" 'restarting|MASTER -> |reloaded'
if out=$(lab_watch_holders $VIP 500 1); then
	lab_pass "C: host 1 still holds the VIP alone"
else
	lab_fail "C: host 1 still holds the VIP alone" "$out"
fi

mark1=$(lab_log_length 1)
CONFIG_VIPS="$VIP2/24" write_config "vrid: 52" "priority: 150" "mode: unicast" \
	"peers_file: $LAB_DIR/peersB.txt" "interface: eth0"
kill -HUP "${LAB_PID[1]}"
if lab_wait_holder 1 $VIP2 3000; then
	lab_pass "C: new VIPs: the instance restarts and holds the new VIP ($LAB_WAITED_MS ms)"
else
	lab_fail "C: new VIPs: the instance restarts and holds the new VIP" "not in $LAB_WAITED_MS ms"
fi
lab_expect "C: host 1 logged the restart and why" \
	lab_log_has_after 1 "$mark1" 'VI_52: restarting \(vips changed\)'
lab_expect "C: host 1 released the old VIP" lab_host_lacks 1 $VIP

lab_stop_all_clean $VIP 1 2
lab_assert_no_holder "no new VIP left after every daemon exited" $VIP2
lab_finish
