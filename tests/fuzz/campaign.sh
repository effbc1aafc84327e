#!/usr/bin/env bash
# campaign.sh — the long fuzz campaign: each target in turn, on one core, until it has run
# RUNS inputs (or MAX_TIME seconds), then its grown corpus is minimized into a fresh
# directory and the figures are printed as the table of tests/fuzz/README.md.
#
#   tests/fuzz/campaign.sh BUILD_DIR OUT_DIR [TARGET ...]     (default: every target)
#
# BUILD_DIR is a fuzz build (CC=clang cmake -DKEEPVIP_FUZZ=ON); OUT_DIR gets per target:
# NAME.log (the run), NAME.merge.log, corpus/NAME (the working corpus, seeded from
# tests/fuzz/corpus/NAME), min/NAME (the seeds plus what of the working corpus reaches
# coverage they do not: to copy back into tests/fuzz/corpus/NAME) and crashes as
# NAME-crash-* / NAME-leak-*.
# Environment: RUNS (10000000), MAX_TIME (seconds per target, 3600), NICE (10),
# MERGE_ONLY=1 (no run: merge and print the table from the logs of an earlier one).
# The run is nice'd and single-process on purpose: the machine is shared.
set -u

here="$(cd "$(dirname "$0")" && pwd)"
build="${1:?usage: campaign.sh BUILD_DIR OUT_DIR [TARGET ...]}"
out="${2:?usage: campaign.sh BUILD_DIR OUT_DIR [TARGET ...]}"
shift 2
runs="${RUNS:-10000000}"
max_time="${MAX_TIME:-3600}"
niceness="${NICE:-10}"
merge_only="${MERGE_ONLY:-0}"

# Inputs are capped per target: a VRRP packet fits in 1 KB; env, flags, peer lists and
# stream pieces in 4 KB (a stream target's cost grows with its input: every byte is framed
# twice); a settings file in 16 KB; orchestrator documents (lists of pods, tasks, services)
# need more.
max_len_of() {
	case "$1" in
	fuzz_vrrp_decode | fuzz_probe_frame) echo 1024 ;;
	fuzz_settings_env | fuzz_cli_args | fuzz_peers_file | fuzz_swarm_peerset) echo 4096 ;;
	fuzz_marathon_sse | fuzz_swarm_stream) echo 4096 ;;
	fuzz_settings_yaml) echo 16384 ;;
	*) echo 32768 ;;
	esac
}

all_targets() {
	sed -n 's/^keepvip_fuzz_target(\([a-z0-9_]*\).*/\1/p' "$here/CMakeLists.txt"
}

# Prints one table row from a finished run's log: the last "DONE"/status line and the stats.
row() {
	local name="$1" log="$2" files="$3" bytes="$4"
	local last execs eps secs
	last="$(grep -E '^#[0-9]+' "$log" | tail -1)"
	execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
	eps="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
	secs="$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)"
	local cov ft lim
	cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")"
	lim="$(sed -n 's/.* lim: \([0-9]*\).*/\1/p' <<<"$last")"
	ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")"
	local finding="none"
	if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|deadly signal' "$log"; then
		finding="SEE $log"
	fi
	printf '| %s | %s | %s | %s | %s | %s | %s | %s (%s B) | %s |\n' \
		"$name" "${execs:-?}" "${secs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" \
		"${lim:-?}" "$files" "$bytes" "$finding"
}

[ $# -gt 0 ] || set -- $(all_targets)
mkdir -p "$out/corpus" "$out/min"
rows=()
for name in "$@"; do
	bin="$build/tests/fuzz/$name"
	[ -x "$bin" ] || { echo "campaign: $bin: not built" >&2; exit 1; }
	work="$out/corpus/$name"
	mkdir -p "$work"
	[ -d "$here/corpus/$name" ] && cp -n "$here/corpus/$name"/* "$work"/ 2>/dev/null
	len="$(max_len_of "$name")"
	if [ "$merge_only" != 1 ]; then
		echo "campaign: $name: up to $runs runs or $max_time s, max_len $len" >&2
		ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}" \
		nice -n "$niceness" "$bin" -runs="$runs" -max_total_time="$max_time" \
			-rss_limit_mb=1024 -max_len="$len" -print_final_stats=1 \
			-artifact_prefix="$out/$name-" "$work" >"$out/$name.log" 2>&1
		echo "campaign: $name: exit $?" >&2
	fi
	# The seeds stay (they are named for what they are); the working corpus adds only the
	# inputs that reach coverage the seeds and the inputs added before them do not.
	rm -rf "$out/min/$name"
	mkdir -p "$out/min/$name"
	[ -d "$here/corpus/$name" ] && cp "$here/corpus/$name"/* "$out/min/$name"/
	nice -n "$niceness" "$bin" -merge=1 -max_len="$len" -rss_limit_mb=1024 \
		"$out/min/$name" "$work" >"$out/$name.merge.log" 2>&1
	files=$(find "$out/min/$name" -type f | wc -l)
	bytes=$(find "$out/min/$name" -type f -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }')
	rows+=("$(row "$name" "$out/$name.log" "$files" "$bytes")")
done

echo "| target | executions | time (s) | exec/s | cov | ft | lim | corpus files (bytes) | findings |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
