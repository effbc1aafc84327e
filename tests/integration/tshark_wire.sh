#!/usr/bin/env bash
# tshark_wire.sh — an independent decoder (tshark, Wireshark's dissectors) reads what keepvip
# puts on the wire and finds it valid: VRRPv2 (RFC 3768) and VRRPv3 (RFC 5798) adverts over
# IPv4 and IPv6, multicast and unicast, with correct checksums (v3: with the pseudo-header
# of the real destination), TTL / hop limit 255, the right version, VRID, interval and VIP,
# priorities 200, 100 and 0 (SIGTERM); gratuitous ARPs for an IPv4 VIP, unsolicited Neighbor
# Advertisements for an IPv6 VIP (ICMPv6 checksum good, hop limit 255, to ff02::1). No frame
# is malformed.
#
# Each round: keepvip on host 1 (priority 200) and host 2 (100); host 1 becomes master, then
# gets SIGTERM (priority-0 advert) and host 2 takes over and announces the VIP in its turn.
# One capture on the lab's bridge holds every round; rounds differ by VRID and VIP.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init tshark_wire "${1:-}"
command -v tshark >/dev/null || lab_cannot_run "tshark is not installed"
lab_up 2
lab_capture_start "ip proto 112 or ip6 proto 112 or arp or icmp6" ||
	lab_cannot_run "tcpdump cannot capture on the lab's bridge"

# tw_dump NAME FILTER FIELD...: decodes the capture once: the packets matching the display
# FILTER, one line each, the FIELDs tab separated (several occurrences comma separated), in
# $LAB_DIR/NAME.tsv, whose first line names the fields.
tw_dump() {
	local name=$1 filter=$2 field
	shift 2
	local -a args=()
	for field in "$@"; do
		args+=(-e "$field")
	done
	{
		(IFS=$'\t' && echo "$*")
		tshark -r "$LAB_CAPTURE_FILE" -Y "$filter" -T fields -E separator=/t -E occurrence=a \
			-E aggregator=, "${args[@]}" 2>/dev/null
	} >"$LAB_DIR/$name.tsv"
}

# tw_select NAME FIELD [KEY=VALUE...]: the values of FIELD in NAME's packets whose KEY fields
# equal VALUE, one a line (occurrences split).
tw_select() {
	local name=$1 field=$2
	shift 2
	awk -F'\t' -v want="$field" -v conds="$*" '
		NR == 1 {
			for (i = 1; i <= NF; i++) col[$i] = i
			n = split(conds, c, " ")
			for (j = 1; j <= n; j++) { split(c[j], kv, "="); key[j] = kv[1]; val[j] = kv[2] }
			for (j = 0; j <= n; j++) {
				f = j ? key[j] : want
				if (!(f in col)) { print "tw_select: no field " f " in " FILENAME > "/dev/stderr"; exit 2 }
			}
			next
		}
		{
			for (j = 1; j <= n; j++)
				if ($(col[key[j]]) != val[j]) next
			k = split($(col[want]), v, ",")
			for (j = 1; j <= k; j++) print v[j]
		}' "$LAB_DIR/$name.tsv"
}

# tw_distinct NAME FIELD [KEY=VALUE...]: the distinct values, sorted, on one line.
tw_distinct() { tw_select "$@" | sed '/^$/d' | sort -u | paste -sd' ' -; }

# tw_count NAME [KEY=VALUE...]: how many of NAME's packets match.
tw_count() {
	local name=$1
	shift
	tw_select "$name" frame.number "$@" | grep -c .
}

# host_mac HOST: the MAC address of the host's eth0; both_macs: hosts 1 and 2's, sorted.
host_mac() { ip -n "$(lab_host_ns "$1")" -o link show dev eth0 | awk '{ for (i = 1; i < NF; i++) if ($i == "link/ether") print $(i + 1) }'; }

both_macs() { printf '%s\n' "$(host_mac 1)" "$(host_mac 2)" | sort | paste -sd' ' -; }

# wire_round VERSION ADVERT_MS VIP VRID MODE: runs the round (see the header).
wire_round() {
	local version=$1 advert=$2 vip=$3 vrid=$4 mode=$5
	local -a common=("KEEPVIP_VIPS=$vip" "KEEPVIP_VRID=$vrid" "KEEPVIP_VRRP_VERSION=$version"
		"KEEPVIP_ADVERT_MS=$advert" "KEEPVIP_MODE=$mode")
	local addr=${vip%%/*}
	if [ "$mode" = unicast ]; then
		if [[ $addr == *:* ]]; then
			common+=("KEEPVIP_PEERS=$(lab_host_ipv6 1),$(lab_host_ipv6 2)")
		else
			common+=("KEEPVIP_PEERS=$(lab_host_ipv4 1),$(lab_host_ipv4 2)")
		fi
	fi
	lab_start_keepvip 1 "${common[@]}" KEEPVIP_PRIORITY=200
	lab_start_keepvip 2 "${common[@]}" KEEPVIP_PRIORITY=100
	lab_wait_holder 1 "$addr" $((advert * 10 + 3000)) || lab_fail "v$version $mode $addr: host 1 becomes master" "timed out"
	lab_sleep_ms $((advert * 3))
	kill -TERM "${LAB_PID[1]}"
	lab_wait_holder 2 "$addr" $((advert * 10 + 3000)) || lab_fail "v$version $mode $addr: host 2 takes over" "timed out"
	lab_wait_exit 1 2000
	lab_sleep_ms $((advert * 3))
	lab_stop 2 TERM
}

# check_adverts TAG VERSION ADVERT_MS VIP VRID MODE
check_adverts() {
	local tag=$1 version=$2 advert=$3 vip=$4 vrid=$5 mode=$6 family=ip want_dst
	local addr=${vip%%/*} key="vrrp.virt_rtr_id=$5" n
	[[ $addr == *:* ]] && family=ipv6
	n=$(tw_count vrrp "$key")
	lab_expect "$tag: adverts captured ($n)" [ "$n" -ge 6 ]
	lab_expect_eq "$tag: every VRRP checksum good (vrrp.checksum.status 1)" 1 \
		"$(tw_distinct vrrp vrrp.checksum.status "$key")"
	lab_expect_eq "$tag: version $version" "$version" "$(tw_distinct vrrp vrrp.version "$key")"
	lab_expect_eq "$tag: type Advertisement" 1 "$(tw_distinct vrrp vrrp.type "$key")"
	lab_expect_eq "$tag: priorities 200, 100 and 0 (SIGTERM)" "0 100 200" \
		"$(tw_select vrrp vrrp.prio "$key" | sort -nu | paste -sd' ' -)"
	lab_expect_eq "$tag: one address, the VIP" "1 $addr" \
		"$(tw_distinct vrrp vrrp.addr_count "$key") $(tw_distinct vrrp "vrrp.${family}_addr" "$key")"
	if [ "$version" = 2 ]; then
		lab_expect_eq "$tag: interval 1 s, no authentication" "1 0" \
			"$(tw_distinct vrrp vrrp.adver_int "$key") $(tw_distinct vrrp vrrp.auth_type "$key")"
	else
		lab_expect_eq "$tag: interval $((advert / 10)) cs" "$((advert / 10))" \
			"$(tw_distinct vrrp vrrp.short_adver_int "$key")"
	fi
	if [ "$family" = ipv6 ]; then
		lab_expect_eq "$tag: hop limit 255" 255 "$(tw_distinct vrrp ipv6.hlim "$key")"
	else
		lab_expect_eq "$tag: TTL 255" 255 "$(tw_distinct vrrp ip.ttl "$key")"
	fi
	if [ "$mode" = multicast ]; then
		want_dst=224.0.0.18
		[ "$family" = ipv6 ] && want_dst=ff02::12
	elif [ "$family" = ipv6 ]; then
		want_dst="$(lab_host_ipv6 1) $(lab_host_ipv6 2)"
	else
		want_dst="$(lab_host_ipv4 1) $(lab_host_ipv4 2)"
	fi
	lab_expect_eq "$tag: destinations" "$want_dst" "$(tw_distinct vrrp "$family.dst" "$key")"
	if [ "$family" = ipv6 ] && [ "$mode" = multicast ]; then
		lab_expect "$tag: sources are link-local (RFC 5798 §5.1.2.1)" \
			lab_all_lines_match "$(tw_select vrrp ipv6.src "$key")" '^fe80:'
	fi
}

# check_garp TAG VIP: gratuitous ARPs for VIP from both hosts' MACs, every one gratuitous.
check_garp() {
	local tag=$1 key="arp.src.proto_ipv4=${2%%/*}"
	lab_expect "$tag: gratuitous ARPs captured" [ "$(tw_count arp "$key")" -ge 2 ]
	lab_expect_eq "$tag: every ARP for the VIP is gratuitous (arp.isgratuitous)" 1 \
		"$(tw_distinct arp arp.isgratuitous "$key")"
	lab_expect_eq "$tag: announced by each master's MAC" "$(both_macs)" \
		"$(tw_distinct arp arp.src.hw_mac "$key")"
}

# check_na TAG VIP: unsolicited NAs for VIP (RFC 4861 §7.2.6) from both hosts' MACs.
check_na() {
	local tag=$1 key="icmpv6.nd.na.target_address=${2%%/*}"
	lab_expect "$tag: unsolicited NAs captured" [ "$(tw_count na "$key" icmpv6.nd.na.flag.s=0)" -ge 2 ]
	lab_expect_eq "$tag: every NA's ICMPv6 checksum good" 1 "$(tw_distinct na icmpv6.checksum.status "$key")"
	lab_expect_eq "$tag: hop limit 255 (RFC 4861 §7.1.2)" 255 "$(tw_distinct na ipv6.hlim "$key")"
	lab_expect_eq "$tag: to all nodes (ff02::1)" ff02::1 \
		"$(tw_distinct na ipv6.dst "$key" icmpv6.nd.na.flag.s=0)"
	lab_expect_eq "$tag: override flag set" 1 \
		"$(tw_distinct na icmpv6.nd.na.flag.o "$key" icmpv6.nd.na.flag.s=0)"
	lab_expect_eq "$tag: target link-layer address is each master's MAC" "$(both_macs)" \
		"$(tw_distinct na icmpv6.opt.linkaddr "$key" icmpv6.nd.na.flag.s=0)"
}

# The rounds: VERSION ADVERT_MS VIP VRID MODE.
ROUNDS=(
	"2 1000 10.99.0.101/24 71 multicast"
	"3 100 10.99.0.102/24 72 multicast"
	"3 100 10.99.0.103/24 73 unicast"
	"3 100 fd99::104/64 74 multicast"
	"3 100 fd99::105/64 75 unicast"
)
for round in "${ROUNDS[@]}"; do
	# shellcheck disable=SC2086 # the round's words are its arguments
	wire_round $round
done
lab_capture_stop

# Adverts only: an ICMP error quoting an advert (a unicast advert to a host whose daemon has
# exited) also shows as VRRP to tshark, with the error's own TTL.
tw_dump vrrp "vrrp && !icmp && !icmpv6" frame.number vrrp.virt_rtr_id vrrp.version vrrp.type \
	vrrp.prio vrrp.addr_count vrrp.ip_addr vrrp.ipv6_addr vrrp.adver_int vrrp.auth_type \
	vrrp.short_adver_int vrrp.checksum.status ip.ttl ip.dst ipv6.hlim ipv6.src ipv6.dst
tw_dump arp "arp" frame.number arp.src.proto_ipv4 arp.isgratuitous arp.src.hw_mac
tw_dump na "icmpv6.type == 136" frame.number icmpv6.nd.na.target_address icmpv6.nd.na.flag.s \
	icmpv6.nd.na.flag.o icmpv6.checksum.status ipv6.hlim ipv6.dst icmpv6.opt.linkaddr
tw_dump malformed "_ws.malformed" frame.number

for round in "${ROUNDS[@]}"; do
	read -r version advert vip vrid mode <<<"$round"
	tag="v$version $mode ${vip%%/*}"
	check_adverts "$tag" "$version" "$advert" "$vip" "$vrid" "$mode"
	if [[ $vip == *:* ]]; then
		check_na "$tag" "$vip"
	else
		check_garp "$tag" "$vip"
	fi
done
lab_expect_eq "no malformed frame in the capture" 0 "$(tw_count malformed)"
lab_finish
