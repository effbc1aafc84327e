# shellcheck shell=bash disable=SC2034 # LAB_MARK is read by the scenarios
# lab_wire.sh — what a scenario reads back over a window of time: log marks, the master's
# adverts in the capture (lab_capture_start), and the VIP's holders sampled in the background.
# Sourced by netns.sh; times are CLOCK_REALTIME µs (lab_now_us), as the capture's.

declare -gA LAB_MARK=()

# lab_mark_logs HOST...: LAB_MARK[K] = the length of host K's log now (to look only at what
# comes after, with lab_log_has_after and friends).
lab_mark_logs() {
	local k
	for k in "$@"; do
		LAB_MARK[$k]=$(lab_log_length "$k")
	done
}

# lab_advert_lines SRC DST FROM_US TO_US: the VRRP adverts SRC sent to DST in the window, each
# line led by its capture time in µs.
lab_advert_lines() {
	lab_capture_text | awk -v hop="$1 > $2: VRRPv" -v from="$3" -v to="$4" '
		index($0, hop) && /Advertisement/ {
			split($1, t, "."); us = t[1] * 1000000 + substr(t[2] "000000", 1, 6)
			if (us >= from && us < to) printf "%.0f %s\n", us, $0  # print would round (OFMT)
		}'
}

# lab_advert_times SRC DST FROM_US TO_US: their capture times (µs), one a line.
lab_advert_times() { lab_advert_lines "$@" | cut -d' ' -f1; }

# lab_count_adverts SRC DST FROM_US TO_US
lab_count_adverts() { lab_advert_times "$@" | wc -l; }

# lab_max_advert_gap_ms SRC DST FROM_US TO_US: the longest time without an advert from SRC to
# DST in the window; its edges count, so no advert at all is the whole window.
lab_max_advert_gap_ms() {
	lab_advert_times "$@" | awk -v from="$3" -v to="$4" '
		BEGIN { prev = from; gap = 0 }
		{ if ($1 - prev > gap) gap = $1 - prev; prev = $1 }
		END { if (to - prev > gap) gap = to - prev; printf "%.1f\n", gap / 1000 }'
}

# lab_expect_advert_period WHAT FROM_US TO_US ADVERT_MS: every packet of a capture filtered to
# one sender and one destination is that master's advert; the longest gap between two of them
# in the window is within 10 % of the interval (and there were some).
lab_expect_advert_period() {
	local what=$1 from=$2 to=$3 advert_ms=$4 gap
	gap=$(tcpdump -r "$LAB_CAPTURE_FILE" -n -tt 2>/dev/null | awk -v a="$from" -v b="$to" '
		{ t = $1 * 1e6; if (t < a || t > b) next
		  if (prev != "" && t - prev > max) max = t - prev; prev = t; n++ }
		END { printf "%.1f %d\n", max / 1000, n }')
	lab_log "$what: ${gap#* } adverts in $(lab_ms_between "$from" "$to") ms, longest gap ${gap% *} ms"
	lab_expect "$what keep their period (longest gap ${gap% *} ms <= $((advert_ms * 11 / 10)))" \
		awk -v g="${gap% *}" -v n="${gap#* }" -v b=$((advert_ms * 11 / 10)) \
		'BEGIN { exit !(n > 0 && g <= b) }'
}

# lab_sample_holders_start VIP: samples the VIP's holders every 20 ms in the background into
# $LAB_DIR/holders.txt ("TIME_US HOLDERS").
lab_sample_holders_start() {
	local vip=$1
	(
		while :; do
			printf '%s %s\n' "$(lab_now_us)" "$(lab_holders "$vip")"
			sleep 0.02
		done
	) >"$LAB_DIR/holders.txt" 2>/dev/null &
	LAB_SAMPLER_PID=$!
	lab_track_pid "$LAB_SAMPLER_PID"
}

lab_sample_holders_stop() {
	kill "$LAB_SAMPLER_PID" 2>/dev/null
	wait "$LAB_SAMPLER_PID" 2>/dev/null
	lab_untrack_pid "$LAB_SAMPLER_PID"
}

# lab_expect_sole_holder_sampled HOST MIN_SAMPLES: every sample saw HOST alone holding the VIP,
# and there were more than MIN_SAMPLES of them.
lab_expect_sole_holder_sampled() {
	local host=$1 min=$2 samples other
	samples=$(wc -l <"$LAB_DIR/holders.txt")
	other=$(awk -v h="$host" '$2 != h || NF != 2 {
		print "t=" $1 " us: holders [" substr($0, index($0, " ") + 1) "]"; exit }' "$LAB_DIR/holders.txt")
	if [ -z "$other" ] && [ "$samples" -gt "$min" ]; then
		lab_pass "the VIP never left host $host ($samples samples over the whole run)"
	else
		lab_fail "the VIP never left host $host ($samples samples over the whole run)" "${other:-too few samples}"
	fi
}

# lab_start_three_on_1 VIP WHY: the adapter scenarios' start. start_host (the scenario's) on
# hosts 1, 2 and 3; the election must settle on host 1 alone (WHY says why it should win);
# then the holders are sampled for the rest of the run (lab_expect_sole_holder_sampled).
lab_start_three_on_1() {
	local vip=$1 why=$2 k master
	for k in 1 2 3; do
		start_host "$k"
	done
	master=$(lab_wait_settled "$vip" 8000 1000)
	lab_expect_eq "host 1 ($why) holds the VIP" 1 "$master"
	lab_assert_single_holder "exactly one holder" "$vip" 1
	lab_sample_holders_start "$vip"
}
