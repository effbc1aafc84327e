#!/usr/bin/env bash
# peers_runtime.sh — peers change at run time through KEEPVIP_PEERS_FILE (unicast). The new
# set applies without moving the VIP unless the election says so (DESIGN "Behaviour").
#  1. host 3 is missing from host 1's and host 2's files: host 3 hears nobody it may accept
#     and nobody advertises to it, so it is master of its own: two holders (1 and 3).
#  2. host 3 is added to the files: host 1 now advertises to it, host 3 steps down within a
#     few adverts; host 1 keeps the VIP all along (no blink), one holder.
#  3. host 3 is removed again: host 3 is alone again and takes the VIP, host 1 never lets go.
# Files are replaced atomically (write, then rename), as configuration tools do.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init peers_runtime "${1:-}"
lab_up 3

VIP=10.99.0.100
APPLY_MS=5000   # generous: file noticed + a few adverts
common=("KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=51 KEEPVIP_VRRP_VERSION=3 KEEPVIP_ADVERT_MS=100
	KEEPVIP_MODE=unicast)

# write_peers HOST ADDRESS...: the host's peers file, one address a line, replaced atomically.
write_peers() {
	local host=$1 file
	shift
	file="$LAB_DIR/peers$host.txt"
	printf '%s\n' "$@" >"$file.tmp" && mv -f "$file.tmp" "$file"
}

# Every file lists its own host too: a daemon drops its own addresses from the list.
write_peers 1 10.99.0.11 10.99.0.12
write_peers 2 10.99.0.11 10.99.0.12
write_peers 3 10.99.0.11 10.99.0.12 10.99.0.13
lab_start_keepvip 1 "${common[@]}" KEEPVIP_PRIORITY=150 KEEPVIP_PEERS_FILE="$LAB_DIR/peers1.txt"
lab_start_keepvip 2 "${common[@]}" KEEPVIP_PRIORITY=100 KEEPVIP_PEERS_FILE="$LAB_DIR/peers2.txt"
lab_start_keepvip 3 "${common[@]}" KEEPVIP_PRIORITY=50 KEEPVIP_PEERS_FILE="$LAB_DIR/peers3.txt"

if lab_wait_holders $VIP "1 3" 5000; then
	lab_pass "host 3 unknown to the others: two masters (hosts 1 and 3)"
else
	lab_die "host 3 unknown to the others: expected two masters (1 and 3): $LAB_WHY"
fi
if out=$(lab_watch_holders $VIP 1000 "1 3"); then
	lab_pass "the split is stable (host 2 accepts only host 1, host 1 ignores host 3)"
else
	lab_fail "the split is stable" "$out"
fi

# 2. Add host 3.
mark1=$(lab_log_length 1)
mark2=$(lab_log_length 2)
write_peers 1 10.99.0.11 10.99.0.12 10.99.0.13
write_peers 2 10.99.0.11 10.99.0.12 10.99.0.13
if lab_wait_holders $VIP 1 $APPLY_MS 1; then
	lab_expect_le "host 3 added: it steps down, host 1 keeps the VIP without a blink" \
		"$LAB_WAITED_MS" $APPLY_MS
else
	lab_fail "host 3 added: it steps down, host 1 keeps the VIP" "$LAB_WHY"
fi
if out=$(lab_watch_holders $VIP 1500 1); then
	lab_pass "exactly one holder (host 1) after the peer was added"
else
	lab_fail "exactly one holder (host 1) after the peer was added" "$out"
fi
lab_expect "host 1 logged the peers change" lab_log_has_after 1 "$mark1" '[Pp]eers changed'
lab_expect "host 3 logged MASTER -> BACKUP" lab_log_has 3 'MASTER -> BACKUP'
lab_expect "host 1 never left MASTER" lab_log_lacks_after 1 "$mark1" 'MASTER -> '

# 3. Remove host 3 from the others' files: nobody advertises to it any more.
write_peers 1 10.99.0.11 10.99.0.12
write_peers 2 10.99.0.11 10.99.0.12
if lab_wait_holders $VIP "1 3" $APPLY_MS 1; then
	lab_expect_le "host 3 removed: alone again it takes the VIP; host 1 keeps it" \
		"$LAB_WAITED_MS" $APPLY_MS
else
	lab_fail "host 3 removed: alone again it takes the VIP; host 1 keeps it" "$LAB_WHY"
fi
lab_expect "host 2 stayed backup throughout" lab_log_lacks_after 2 "$mark2" '-> MASTER'

for k in 1 2 3; do
	lab_expect "host $k daemon still running" lab_is_running $k
done
lab_stop_all_clean $VIP 1 2 3
lab_finish
