#!/usr/bin/env bash
# swarm_worker_hostile.sh — the Swarm adapter of a master that is a swarm worker gets hostile
# answers from the keepvip peer endpoint of its manager (GET /swarm/peers, a long poll,
# swarm_peerset.h), served by tests/adapters/scenarios/swarm.py over TCP: host 1 is a worker
# whose only manager is the fake (hosts 2 and 3 are managers of the same fake engine). One
# attack after another, each ending at its bound: 1 GiB streamed and arrays nested 100,000
# deep (SWARM_PEERSET_DOC_MAX), bytes that are not UTF-8, wrong types (the parser), a long
# poll that never ends (wait 25 s + 5 s). Between two attacks the endpoint answers well again.
# Throughout (lib/hostile.sh): the master's adverts keep their period, the peers stay as they
# were, the VIP stays on host 1 alone, and the daemon's memory stays bounded.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init swarm_worker_hostile "${1:-}"
# shellcheck source=lib/hostile.sh
. "$(dirname "$0")/lib/hostile.sh"
lab_up 3 # 10.99.0.11-13: the fixture nodes' addresses

HOSTILE_SERVER=10.99.0.2
VIP=10.99.0.100

hostile_start_fake swarm --opt self_by_source=1 --opt workers_by_source=10.99.0.11 \
	--opt "manager_addr=$HOSTILE_SERVER:2377"
hostile_provoke() { control wake; } # the long poll in flight answers; the next is hostile
hostile_restore() {
	control clear
	control wake
}
HOSTILE_BACK_ERE='answering again after|answers again'

# Host 1 asks its manager's keepvip on the fake's port.
hostile_host_env() { [ "$1" != 1 ] || echo "KEEPVIP_SWARM_PEER_PORT=$PORT"; }
hostile_start_hosts KEEPVIP_ORCHESTRATOR=swarm "DOCKER_HOST=tcp://$HOSTILE_SERVER:$PORT" \
	KEEPVIP_SWARM_SERVICE=lab_pause "KEEPVIP_VIPS=$VIP/24"
hostile_begin $VIP

hostile_attack "1 GiB streamed" "peers?kind=endless" 'response body larger than [0-9]+ bytes' 4000
hostile_attack "nested 100,000 deep" "peers?kind=deep" 'response body larger than [0-9]+ bytes' 4000
hostile_attack "not UTF-8" "peers?kind=bad_utf8" 'not JSON' 4000
hostile_attack "wrong types" "peers?kind=wrong_types" 'peers\[0\] is not an IP address' 4000
hostile_attack "a long poll that never ends" "peers?kind=silent" 'timed out after 30000 ms' 34000
hostile_end $VIP
