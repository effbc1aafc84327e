# shellcheck shell=bash disable=SC2034 # SVC_* results are read by the scenarios
# services.sh — small stand-ins for what runs beside keepvip on a real host (the load
# balancer a health check probes, a service behind the VIP, a client of it), for the
# operations scenarios. Sourced after netns.sh, never executed. Python 3 standard library
# only; every program is started with lab_spawn, so the lab's cleanup trap kills it.
#
#   svc_tcp_listen 1 8080        # host 1: 127.0.0.1:8080 accepts (stands in for HAProxy)
#   svc_stop "$SVC_PID"          # the listener goes away: connects are refused
#   svc_udp_echo 2 7000          # host 2: UDP echo on every address, answers "2 SEQ"
#   svc_udp_client 4 10.99.0.100 7000 10 3000 "$LAB_DIR/client.out"   # host 4 asks the VIP
#   svc_wait "$SVC_PID" 10000    # ... until it is done; then svc_client_summary FILE
#
# Every server prints "ready" once it listens; the svc_* starters wait for that line
# (5 s at most) so that a scenario never races its own services.

SVC_PYTHON=${KEEPVIP_TEST_PYTHON:-python3}
SVC_PID=""
declare -A SVC_WAITER=() # pid -> what to `wait` for to reap it (lab_spawn's waiter, if any)

# A TCP server on ADDRESS:PORT. MODE "accept": accept and close at once (a healthy load
# balancer for a TCP connect check). MODE "hang": accept and never answer, keeping every
# connection open (an HTTP check target that hangs).
SVC_TCP_PY='
import socket, sys, time
address, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((address, port))
server.listen(128)
print("ready", flush=True)
held = []
while True:
    conn, _ = server.accept()
    if mode == "hang":
        held.append(conn)
    else:
        conn.close()
'

# A UDP echo on 0.0.0.0:PORT: answers every datagram "TAG PAYLOAD" (TAG names the host).
SVC_UDP_ECHO_PY='
import socket, sys
port, tag = int(sys.argv[1]), sys.argv[2].encode()
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("0.0.0.0", port))
print("ready", flush=True)
while True:
    data, peer = sock.recvfrom(2048)
    sock.sendto(tag + b" " + data, peer)
'

# A UDP client: one datagram (a sequence number) to TARGET:PORT every INTERVAL_MS for
# DURATION_MS or until SIGTERM, then waits up to 1 s for late answers. It writes one line per
# answered sequence number ("SEQ TAG RTT_MS") to OUTFILE, then "lost_seq A B ..." (the first
# 50 unanswered) and a summary line: "summary sent N answered M lost L by TAG:COUNT,...".
SVC_UDP_CLIENT_PY='
import select, signal, socket, sys, time
target, port = sys.argv[1], int(sys.argv[2])
interval, duration, outfile = int(sys.argv[3]) / 1000, int(sys.argv[4]) / 1000, sys.argv[5]
stopped = []
signal.signal(signal.SIGTERM, lambda signo, frame: stopped.append(signo))
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.setblocking(False)
sent, answered, by_tag = {}, {}, {}
start = time.monotonic()
next_send, seq = start, 0
print("ready", flush=True)
def drain(until):
    while True:
        left = until - time.monotonic()
        if left <= 0:
            return
        readable, _, _ = select.select([sock], [], [], left)
        if not readable:
            return
        while True:
            try:
                data, _ = sock.recvfrom(2048)
            except BlockingIOError:
                break
            try:
                tag, number = data.decode().split()
                number = int(number)
            except ValueError:
                continue
            if number in sent and number not in answered:
                answered[number] = (tag, (time.monotonic() - sent[number]) * 1000)
                by_tag[tag] = by_tag.get(tag, 0) + 1
while time.monotonic() - start < duration and not stopped:
    try:
        sock.sendto(str(seq).encode(), (target, port))
    except OSError:
        pass  # no route or no neighbour yet: the datagram counts as lost
    sent[seq] = time.monotonic()
    seq += 1
    next_send += interval
    drain(next_send)
drain(time.monotonic() + 1.0)
with open(outfile, "w") as out:
    for number in sorted(answered):
        out.write("%d %s %.1f\n" % (number, answered[number][0], answered[number][1]))
    lost = sorted(set(sent) - set(answered))
    out.write("lost_seq %s\n" % " ".join(str(n) for n in lost[:50]))
    out.write("summary sent %d answered %d lost %d by %s\n" % (len(sent), len(answered),
              len(lost), ",".join("%s:%d" % kv for kv in sorted(by_tag.items()))))
'

# svc_spawn_ready HOST NAME PROGRAM ARG...: spawns python3 -c PROGRAM in the host's namespace
# (output in $LAB_DIR/NAME.log) and waits for its "ready" line. SVC_PID gets its pid.
svc_spawn_ready() {
	local host=$1 name=$2 program=$3 log tries=0
	shift 3
	log="$LAB_DIR/$name.log"
	: >"$log"
	lab_spawn "$host" "$log" "$SVC_PYTHON" -u -c "$program" "$@"
	SVC_PID=$LAB_SPAWNED
	SVC_WAITER[$SVC_PID]=${LAB_SPAWN_WAITER:-$SVC_PID}
	until grep -q '^ready$' "$log"; do
		tries=$((tries + 1))
		if [ "$tries" -ge 500 ] || ! lab_pid_alive "$SVC_PID"; then
			cat "$log" >&2
			lab_die "host $host: $name did not start"
		fi
		sleep 0.01
	done
}

# svc_tcp_listen HOST PORT: a TCP listener on 127.0.0.1:PORT that accepts and closes.
svc_tcp_listen() {
	svc_spawn_ready "$1" "tcp$1-$2" "$SVC_TCP_PY" 127.0.0.1 "$2" accept
}

# svc_tcp_hang HOST PORT: a TCP listener on 127.0.0.1:PORT that accepts and never answers.
svc_tcp_hang() {
	svc_spawn_ready "$1" "hang$1-$2" "$SVC_TCP_PY" 127.0.0.1 "$2" hang
}

# svc_udp_echo HOST PORT: a UDP echo on every address of the host, tagged with the host.
svc_udp_echo() {
	svc_spawn_ready "$1" "echo$1-$2" "$SVC_UDP_ECHO_PY" "$2" "$1"
}

# svc_udp_client HOST TARGET PORT INTERVAL_MS DURATION_MS OUTFILE: starts the client in the
# background (SVC_PID); svc_wait for it, then read OUTFILE.
svc_udp_client() {
	svc_spawn_ready "$1" "client$1" "$SVC_UDP_CLIENT_PY" "$2" "$3" "$4" "$5" "$6"
}

# svc_client_stop PID TIMEOUT_MS: tells the client to stop sending (SIGTERM), then waits for
# it to write its results (svc_wait).
svc_client_stop() {
	kill -TERM "$1" 2>/dev/null
	svc_wait "$1" "$2"
}

# svc_wait PID TIMEOUT_MS: waits for a spawned program to exit on its own; returns 1 (and
# kills it) on timeout.
svc_wait() {
	local pid=$1 timeout=$2 start
	start=$(lab_now_us)
	while lab_pid_alive "$pid"; do
		if [ $((($(lab_now_us) - start) / 1000)) -ge "$timeout" ]; then
			svc_stop "$pid"
			return 1
		fi
		sleep 0.02
	done
	svc_forget "$pid"
	return 0
}

# svc_stop PID: stops a spawned program (SIGKILL: a crashed load balancer) and forgets it.
svc_stop() {
	kill -KILL "$1" 2>/dev/null
	svc_forget "$1"
}

# svc_forget PID: reaps an exited program and takes it off the cleanup trap's list.
svc_forget() {
	wait "${SVC_WAITER[$1]:-$1}" 2>/dev/null
	unset "SVC_WAITER[$1]"
	lab_untrack_pid "$1"
}

# svc_client_summary FILE FIELD: a field of the client's summary line (sent, answered, lost,
# by).
svc_client_summary() {
	awk -v f="$2" '$1 == "summary" { for (i = 2; i < NF; i++) if ($i == f) print $(i + 1) }' "$1"
}

# svc_advert_gaps TEXT SOURCE: the gaps (ms, one a line) between consecutive adverts from
# SOURCE in lab_capture_text output (the first field is the absolute time in seconds).
svc_advert_gaps() {
	printf '%s\n' "$1" | grep -F " $2 > " | awk '
		{ if (seen) printf "%.1f\n", ($1 - last) * 1000; last = $1; seen = 1 }'
}

# svc_max GAPS: the largest number of a list (one a line); 0 for an empty list.
svc_max() {
	printf '%s\n' "$1" | awk 'NF { if ($1 > m) m = $1 } END { printf "%.1f\n", m + 0 }'
}
