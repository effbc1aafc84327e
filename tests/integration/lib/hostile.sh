# shellcheck shell=bash disable=SC2034 # HOSTILE_FROM is read by the scenarios' hooks
# hostile.sh — the shared part of the *_hostile.sh scenarios (issue 13 point 5): a fake
# orchestrator API (tests/adapters/lib/fake_api.py + a scenario) inside the lab, three
# keepvip hosts fed by it with host 1 master (100 ms adverts, SCHED_RR), then hostile answers
# one after another, each ending at its bound, a good answer between two. Checks, throughout
# the attacks: the master's adverts keep their period (the longest gap between two of its
# adverts to host 2 within 10 % of the interval, in each attack and over them all), the
# peers stay as they were (no "peers changed"), host 1 stays master and alone holds the VIP,
# and its memory stays bounded (VmHWM; PSS logged).
#
# Sourced after lib/netns.sh and lab_init. A scenario sets HOSTILE_* and defines two hooks:
#   hostile_provoke   after the server was made hostile: makes host 1 read (may be empty)
#   hostile_restore   makes the server answer well again (and host 1 read it)
# then: hostile_start_fake SCENARIO ARGS..., starts its hosts, hostile_begin, hostile_attack
# per attack, hostile_end VIP.

HOSTILE_ADVERT_MS=${HOSTILE_ADVERT_MS:-100}
HOSTILE_MEMORY_KB=${HOSTILE_MEMORY_KB:-16384}   # VmHWM may grow by this much at most
HOSTILE_BACK_ERE=${HOSTILE_BACK_ERE:-'answering again after'}
HOSTILE_BACK_MS=${HOSTILE_BACK_MS:-6000}
HOSTILE_SCHEME=${HOSTILE_SCHEME:-http}
HOSTILE_CURL_ARGS=()                             # set after: e.g. (--cacert ca.pem)
HOSTILE_SPANS=()                                 # "from to name" per attack

PYTHON=$(command -v python3) || lab_cannot_run "python3 (the fake API server) is not installed"
command -v curl >/dev/null || lab_cannot_run "curl (the fake server's controls) is not installed"

# hostile_start_fake SCENARIO ARGS...: the fake API (lab_start_fake_api) on $HOSTILE_SERVER,
# its port in PORT.
hostile_start_fake() {
	lab_start_fake_api "$HOSTILE_SERVER" "$@"
	PORT=$LAB_FAKE_PORT
}

# control WHAT: GET /_control/WHAT on the fake server (a failure when it does not answer).
control() {
	ip netns exec "$LAB_SWITCH" curl -sSf -m 5 "${HOSTILE_CURL_ARGS[@]}" \
		"$HOSTILE_SCHEME://$HOSTILE_SERVER:$PORT/_control/$1" >>"$LAB_DIR/control.log" 2>&1 ||
		lab_fail "control $1" "the fake server did not answer"
}

# hostile_lb_per_host: each host's "load balancer" on 127.0.0.1:80 (a check_port 80).
hostile_lb_per_host() {
	local k
	mkdir -p "$LAB_DIR/www"
	for k in 1 2 3; do
		lab_spawn "$k" "$LAB_DIR/lb$k.log" "$PYTHON" -m http.server 80 --bind 127.0.0.1 \
			--directory "$LAB_DIR/www"
	done
}

# hostile_start_hosts ENV...: hosts 1, 2, 3 at priorities 150, 100, 50 with ENV; HOSTILE_HOST_ENV
# (a function, optional) adds per-host settings. Host 1 runs SCHED_RR, as in status_abuse.sh:
# on a 2-core machine shared with other work the scheduler alone can hold a process off the
# CPU for tens of ms; under SCHED_RR a late advert can only be the loop's own doing.
hostile_start_hosts() {
	local k rt per
	declare -A prio=([1]=150 [2]=100 [3]=50)
	for k in 1 2 3; do
		rt=() per=()
		[ "$k" != 1 ] || rt=(KEEPVIP_REALTIME_PRIORITY=10 "${HOSTILE_ASAN_ENV[@]}")
		if declare -F hostile_host_env >/dev/null; then
			read -r -a per <<<"$(hostile_host_env "$k")"
		fi
		lab_start_keepvip "$k" "$@" "KEEPVIP_ADVERT_MS=$HOSTILE_ADVERT_MS" \
			"KEEPVIP_PRIORITY=${prio[$k]}" "${per[@]}" "${rt[@]}"
	done
}

# Under AddressSanitizer, freed memory waits in a quarantine (256 MB by default) before it is
# used again: every answer read and freed would show as growth. Host 1's quarantine is
# capped, and its size and the shadow memory (1/8) are allowed for.
HOSTILE_ASAN_ENV=()
if lab_keepvip_is_asan; then
	HOSTILE_ASAN_ENV=("ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4")
fi

hostile_hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/${LAB_PID[1]}/status"; }
hostile_pss_kb() { awk '/^Pss:/ { print $2 }' "/proc/${LAB_PID[1]}/smaps_rollup" 2>/dev/null; }

# hostile_begin VIP: host 1 is master; from here on the attacks are watched.
hostile_begin() {
	lab_require_master_1 "$1" 8000 1000
	HOSTILE_HWM_BEFORE=$(hostile_hwm_kb)
	HOSTILE_PSS_BEFORE=$(hostile_pss_kb)
	HOSTILE_MARK=$(lab_log_length 1)
	HOSTILE_MARK2=$(lab_log_length 2)
	HOSTILE_WIRE=0
	lab_capture_start "ip proto 112 and src host $(lab_host_ipv4 1) and dst host $(lab_host_ipv4 2)" &&
		HOSTILE_WIRE=1
	HOSTILE_T0=$(lab_now_us)
}

# hostile_attack NAME CONTROL LOG_ERE BOUND_MS: CONTROL makes the server hostile, then
# hostile_provoke makes host 1 read; host 1 must log LOG_ERE within BOUND_MS; then the server
# answers well again (hostile_restore) and host 1 logs HOSTILE_BACK_ERE (its backoff starts
# over) within HOSTILE_BACK_MS. HOSTILE_HOLD_MS (default 0): the attack goes on that long
# after host 1 gave up, before the server answers well again.
hostile_attack() {
	local name=$1 what=$2 ere=$3 bound=$4 from t
	from=$(lab_log_length 1)
	HOSTILE_FROM=$from # for the hooks
	t=$(lab_now_us)
	control "$what"
	hostile_provoke
	if lab_wait_log_after 1 "$from" "$ere" "$bound"; then
		lab_pass "$name: host 1 gave up at its bound (after $LAB_WAITED_MS ms)"
	else
		lab_fail "$name: host 1 gave up at its bound" "no '$ere' within $bound ms"
	fi
	[ "${HOSTILE_HOLD_MS:-0}" = 0 ] || lab_sleep_ms "$HOSTILE_HOLD_MS" # the attack goes on
	hostile_restore
	lab_wait_log_after 1 "$from" "$HOSTILE_BACK_ERE" "$HOSTILE_BACK_MS" ||
		lab_fail "$name: host 1 reads again afterwards" \
			"no '$HOSTILE_BACK_ERE' within $HOSTILE_BACK_MS ms"
	HOSTILE_SPANS+=("$t $(lab_now_us) $name")
}

# hostile_end VIP: the checks over all the attacks, then the hosts stop and the tally.
hostile_end() {
	local vip=$1 t1 hwm pss span a b name budget=$HOSTILE_MEMORY_KB
	t1=$(lab_now_us)
	[ ${#HOSTILE_ASAN_ENV[@]} = 0 ] || budget=$((budget * 9 / 8 + (8 << 10)))
	lab_expect "host 1 kept its peers through every attack" \
		lab_log_lacks_after 1 "$HOSTILE_MARK" 'peers changed'
	lab_expect "host 1 stayed master" lab_log_lacks_after 1 "$HOSTILE_MARK" 'MASTER -> '
	lab_expect "host 2 stayed backup" lab_log_lacks_after 2 "$HOSTILE_MARK2" 'BACKUP -> MASTER'
	lab_assert_single_holder "host 1 still holds the VIP alone" "$vip" 1
	hwm=$(hostile_hwm_kb)
	pss=$(hostile_pss_kb)
	lab_log "host 1's memory: VmHWM $HOSTILE_HWM_BEFORE -> $hwm kB, PSS $HOSTILE_PSS_BEFORE -> $pss kB"
	lab_expect "memory stays bounded (VmHWM $HOSTILE_HWM_BEFORE -> $hwm kB, at most +$((budget / 1024)) MB)" \
		[ "$hwm" -le $((HOSTILE_HWM_BEFORE + budget)) ]
	if [ "$HOSTILE_WIRE" = 1 ] && lab_capture_stop; then
		for span in "${HOSTILE_SPANS[@]}"; do
			read -r a b name <<<"$span"
			lab_expect_advert_period "attack '$name': host 1's adverts to host 2" \
				"$a" "$b" "$HOSTILE_ADVERT_MS"
		done
		lab_expect_advert_period "host 1's adverts to host 2 during the attacks" \
			"$HOSTILE_T0" "$t1" "$HOSTILE_ADVERT_MS"
	fi
	lab_stop_all_clean "$vip" 1 2 3
	lab_finish
}
