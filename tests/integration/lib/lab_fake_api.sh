# shellcheck shell=bash disable=SC2034 # LAB_FAKE_* are read by the scenarios
# lab_fake_api.sh — an orchestrator's fake API (tests/adapters/lib/fake_api.py) served from
# inside the lab, on an address of the switch namespace's bridge, so the daemons reach it as
# they would reach the real one. Sourced by netns.sh.

LAB_ADAPTER_TESTS="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../adapters" && pwd)"

# lab_start_fake_api ADDRESS SCENARIO [FAKE_API_ARGS...]: adds ADDRESS/24 to the bridge and
# starts the fake with tests/adapters/scenarios/SCENARIO.py bound to it; sets LAB_FAKE_PORT
# (the port it chose) and LAB_FAKE_PID. Dies when python3 is missing (cannot run) or the
# server does not start within 10 s.
lab_start_fake_api() {
	local address=$1 scenario=$2 python i
	shift 2
	python=$(command -v python3) || lab_cannot_run "python3 (the fake API server) is not installed"
	lab_ns_sh "$LAB_SWITCH" ip addr add "$address/24" dev br0
	ip netns exec "$LAB_SWITCH" "$python" "$LAB_ADAPTER_TESTS/lib/fake_api.py" \
		--scenario "$LAB_ADAPTER_TESTS/scenarios/$scenario.py" --bind "$address" "$@" \
		>"$LAB_DIR/fake.out" 2>"$LAB_DIR/fake.err" </dev/null &
	LAB_FAKE_PID=$!
	lab_track_pid "$LAB_FAKE_PID"
	LAB_FAKE_PORT=""
	for i in $(seq 1 1000); do
		LAB_FAKE_PORT=$(head -n 1 "$LAB_DIR/fake.out" 2>/dev/null)
		[ -z "$LAB_FAKE_PORT" ] || break
		kill -0 "$LAB_FAKE_PID" 2>/dev/null || break
		sleep 0.01
	done
	[ -n "$LAB_FAKE_PORT" ] ||
		lab_die "the fake $scenario API did not start (${i}0 ms): $(cat "$LAB_DIR/fake.err")"
}
