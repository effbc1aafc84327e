#!/usr/bin/env bash
# swarm_hostile.sh — the Swarm adapter of a running master gets hostile answers from its
# Docker engine (tests/adapters/scenarios/swarm.py over TCP, DOCKER_HOST=tcp://...: one fake
# engine for the three hosts, each a manager of the swarm-20.10 fixtures by its address), one
# after another, each ending at its bound. /nodes (read after an event, and every 4 s): 1 GiB
# streamed (SWARM_MAX_BODY, 16 MiB), a byte a second (the 5 s request timeout), bytes that are
# not UTF-8, arrays nested 100,000 deep, wrong types (the parser). /events: a line of 1 GiB
# that never ends (SWARM_MAX_EVENT, 64 KiB), lines that are not JSON, forever (the stream is
# dropped at the first, and followed again after a backoff that only a good event resets:
# a few warnings, not one a line). Between two attacks the engine answers well again.
# Throughout (lib/hostile.sh): the master's adverts keep their period, the peers stay as they
# were, the VIP stays on host 1 alone, and the daemon's memory stays bounded.
# (A silent /events that never ends is what an idle engine does: the lists every 4 s cover
# it, as in test_swarm_adapter.c.)
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init swarm_hostile "${1:-}"
# shellcheck source=lib/hostile.sh
. "$(dirname "$0")/lib/hostile.sh"
lab_up 3 # 10.99.0.11-13: the fixture nodes' addresses

HOSTILE_SERVER=10.99.0.2
VIP=10.99.0.100
NODES=/v1.41/nodes
# An answer may take SWARM_MAX_BODY (16 MiB) while it is read: that, and 8 MiB more.
HOSTILE_MEMORY_KB=$((24 << 10))

hostile_start_fake swarm --opt self_by_source=1
event() { control "event?type=node&action=update"; }
hostile_provoke() { event; } # a relevant event: /tasks and /nodes within 150 ms
hostile_restore() {
	control clear
	event
}
# /events attacks: the reader drops the stream; it is followed again after its backoff.
hostile_provoke_events() { control close_events; }
hostile_restore_events() {
	control clear
	for _ in $(seq 1 60); do
		event
		lab_log_has_after 1 "$HOSTILE_FROM" 'the event stream answers again' && return 0
		sleep 0.25
	done
}

hostile_start_hosts KEEPVIP_ORCHESTRATOR=swarm "DOCKER_HOST=tcp://$HOSTILE_SERVER:$PORT" \
	KEEPVIP_SWARM_SERVICE=lab_pause "KEEPVIP_VIPS=$VIP/24"
hostile_begin $VIP

hostile_attack "/nodes: 1 GiB streamed" "body?path=$NODES&kind=endless" \
	'response body larger than 16777216 bytes' 6000
hostile_attack "/nodes: a byte a second" "body?path=$NODES&kind=slow" 'timed out after 5000 ms' 10000
hostile_attack "/nodes: not UTF-8" "body?path=$NODES&kind=bad_utf8" 'invalid JSON' 6000
hostile_attack "/nodes: nested 100,000 deep" "body?path=$NODES&kind=deep" \
	'maximum parsing depth reached' 6000
hostile_attack "/nodes: wrong types" "body?path=$NODES&kind=wrong_types" 'Status.Addr' 6000

hostile_provoke() { hostile_provoke_events; }
hostile_restore() { hostile_restore_events; }
HOSTILE_BACK_ERE='the event stream answers again'
hostile_attack "/events: a line of 1 GiB" "events?kind=endless" \
	'the event stream: a line over 65536 bytes' 4000
from=$(lab_log_length 1)
HOSTILE_HOLD_MS=6000 HOSTILE_BACK_MS=20000 hostile_attack "/events: lines that are not JSON" \
	"events?kind=garbage" 'the event stream: .*invalid' 4000
drops=$(tail -n "+$((from + 1))" "$LAB_DIR/host1.log" | grep -c 'the event stream: .*invalid')
lab_expect "/events: lines that are not JSON: $drops warnings in 6 s (the backoff grows)" \
	[ "$drops" -le 4 ]
hostile_end $VIP
