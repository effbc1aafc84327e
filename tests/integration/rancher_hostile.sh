#!/usr/bin/env bash
# rancher_hostile.sh — the Rancher adapter of a running master gets hostile answers from its
# metadata service (tests/adapters/scenarios/rancher.py, in the lab as in rancher_live.sh),
# one after another, each ending at its bound: 1 GiB streamed (the 4 MiB answer cap), a
# byte a second (the 5 s request timeout), bytes that are not UTF-8, arrays nested 100,000
# deep, wrong types (the parser), and a long poll that never ends (maxWait 2 s + 10 s).
# Between two attacks the server answers well again, so every one is met (the backoff starts
# over). Throughout (lib/hostile.sh): the master's adverts keep their period, the peers stay
# as they were, the VIP stays on host 1 alone, and the daemon's memory stays bounded.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init rancher_hostile "${1:-}"
# shellcheck source=lib/hostile.sh
. "$(dirname "$0")/lib/hostile.sh"
LAB_IPV4_NET=10.42.0
lab_up 3

HOSTILE_SERVER=10.42.0.2
VIP=10.42.0.100
SERVICE_PATH=/2015-12-19/stacks/keepvip/services/keepvip

hostile_start_fake rancher --opt self_by_source=1
URL="http://$HOSTILE_SERVER:$PORT/2015-12-19"
hostile_provoke() { control version; } # a version bump makes the watch read
hostile_restore() {
	control clear
	control hang_poll?on=0
	control version
}

# The service metadata sets check_port 80.
hostile_lb_per_host
hostile_start_hosts KEEPVIP_ORCHESTRATOR=rancher "KEEPVIP_RANCHER_METADATA_URL=$URL" \
	KEEPVIP_RANCHER_STACK=keepvip KEEPVIP_RANCHER_SERVICE=keepvip KEEPVIP_RANCHER_MAX_WAIT_S=2 \
	"KEEPVIP_VIPS=$VIP/24"
hostile_begin $VIP

hostile_attack "1 GiB streamed" "body?path=$SERVICE_PATH&kind=endless" \
	'response body larger than 4194304 bytes' 5000
hostile_attack "a byte a second" "body?path=$SERVICE_PATH&kind=slow" 'timed out after 5000 ms' 8000
hostile_attack "not UTF-8" "body?path=$SERVICE_PATH&kind=bad_utf8" 'invalid JSON at line' 3000
hostile_attack "nested 100,000 deep" "body?path=$SERVICE_PATH&kind=deep" \
	'maximum parsing depth reached' 3000
hostile_attack "wrong types" "body?path=$SERVICE_PATH&kind=wrong_types" \
	'expected a string, got integer' 3000
# The poll in flight ends at maxWait (2 s); the next one hangs until 2 s + 10 s of slack.
hostile_attack "a long poll that never ends" "hang_poll?on=1" \
	'\(long poll\): timed out after 12000 ms' 16000
hostile_end $VIP
