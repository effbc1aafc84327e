#!/usr/bin/env bash
# marathon_hostile.sh — the Marathon adapter of a running master gets hostile answers from
# Marathon (tests/adapters/scenarios/marathon.py, in the lab as in marathon_live.sh), one after
# another, each ending at its bound. The task list (read after an event): 1 GiB streamed (the
# 4 MiB answer cap), a byte a second (the 5 s request timeout), bytes that are not UTF-8,
# arrays nested 100,000 deep, wrong types (the parser). The SSE stream /v2/events: a data
# line of 1 GiB that never ends, data lines without the blank line that ends the event (both
# SSE_MAX_EVENT, 4 MiB), a stream that goes silent and never ends (KEEPVIP_MARATHON_IDLE_S,
# 3 s). Between two attacks Marathon answers well again. Throughout (lib/hostile.sh): the
# master's adverts keep their period, the peers stay as they were, the VIP stays on host 1
# alone, and the daemon's memory stays bounded.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init marathon_hostile "${1:-}"
# shellcheck source=lib/hostile.sh
. "$(dirname "$0")/lib/hostile.sh"
LAB_IPV4_NET=10.42.0 # the fixture's task hosts: 10.42.0.11-13
LAB_ORCHESTRATOR=marathon
lab_up 3

HOSTILE_SERVER=10.42.0.2
VIP=10.42.0.100

hostile_start_fake marathon --opt all_running=1 --opt heartbeat_ms=1000
hostile_provoke() { control "event?type=status_update_event"; } # the tasks read again
hostile_restore() { control clear; }

hostile_host_env() { echo "HOST=10.42.0.1$1"; }
hostile_start_hosts "KEEPVIP_MARATHON_URL=http://$HOSTILE_SERVER:$PORT" MARATHON_APP_ID=/keepvip \
	KEEPVIP_MARATHON_IDLE_S=3 "KEEPVIP_VIPS=$VIP/24"
hostile_begin $VIP

hostile_attack "tasks: 1 GiB streamed" "body?kind=endless" \
	'response body larger than 4194304 bytes' 5000
hostile_attack "tasks: a byte a second" "body?kind=slow" 'timed out after 5000 ms' 8000
hostile_attack "tasks: not UTF-8" "body?kind=bad_utf8" 'invalid JSON' 3000
hostile_attack "tasks: nested 100,000 deep" "body?kind=deep" 'maximum parsing depth reached' 3000
hostile_attack "tasks: wrong types" "body?kind=wrong_types" 'expected a string' 3000
# The stream is cut: the adapter reconnects after its backoff, to the hostile stream.
hostile_provoke() { control drop_streams; }
hostile_attack "events: a line of 1 GiB" "stream?kind=endless_line" \
	'an event over 4194304 bytes' 5000
hostile_attack "events: an event of 1 GiB" "stream?kind=endless_event" \
	'an event over 4194304 bytes' 5000
hostile_provoke() { :; }
hostile_attack "events: silent, never ending" "silent?on=1" 'nothing received for 3 s' 6000
hostile_end $VIP
