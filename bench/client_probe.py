#!/usr/bin/env python3
"""client_probe.py — the client traffic of bench/client_gap.sh. Standard library only.

  client_probe.py listen PORT
      A TCP listener on 0.0.0.0:PORT that accepts and closes every connection (one runs in
      every host namespace, so whichever host holds the VIP answers).

  client_probe.py probe VIP PORT PERIOD_MS LOG
      Every PERIOD_MS: one ICMP echo request to VIP (raw socket, its own id, a sequence number)
      and one non-blocking TCP connect to VIP:PORT. Writes one line per event to LOG:
        sent  T_NS SEQ          a probe went out (both the echo and the connect)
        icmp  T_NS SEQ          an echo reply with our id (kernel receive timestamp)
        tcp   T_NS SEQ          a connect completed (the SYN-ACK came back)
        tcpx  T_NS SEQ ERRNO    a connect failed (RST: ECONNREFUSED; ICMP error; ...)
        tcpt  T_NS SEQ          no answer within the connect timeout (given up)
      Only "icmp" and "tcp" are answers: a refused connect means no listener holds the VIP, so
      it counts as a miss. T_NS is CLOCK_REALTIME (the clock tcpdump stamps packets with).
      Runs until SIGTERM or SIGINT. Sockets are closed with SO_LINGER 0 (an RST), so no
      TIME_WAIT piles up at 100 connects a second.
"""
import errno
import os
import selectors
import signal
import socket
import struct
import sys
import time

CONNECT_TIMEOUT_NS = 500_000_000
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def listen(port):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", port))
    srv.listen(4096)
    while True:
        conn, _ = srv.accept()
        conn.close()


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def echo_request(ident, seq):
    """RFC 792 echo request: type 8, code 0, checksum, identifier, sequence number."""
    payload = b"keepvip-client-gap"
    head = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    return struct.pack("!BBHHH", 8, 0, checksum(head + payload), ident, seq) + payload


def probe(vip, port, period_ms, log_path):
    ident = os.getpid() & 0xFFFF
    period_ns = int(period_ms * 1e6)
    icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    icmp.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    icmp.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(icmp, selectors.EVENT_READ, None)
    pending = {}  # socket -> (seq, deadline_ns)
    out = open(log_path, "w", buffering=1 << 16)
    running = [True]

    def stop(_sig, _frame):
        running[0] = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def close(sock):
        sel.unregister(sock)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        del pending[sock]

    def send(seq):
        now = time.time_ns()
        try:
            icmp.sendto(echo_request(ident, seq & 0xFFFF), (vip, 0))
        except OSError:
            pass  # no route while the link is down: a miss like any other
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setblocking(False)
        rc = tcp.connect_ex((vip, port))
        out.write(f"sent {now} {seq}\n")
        if rc not in (0, errno.EINPROGRESS):
            out.write(f"tcpx {time.time_ns()} {seq} {rc}\n")
            tcp.close()
            return
        pending[tcp] = (seq, now + CONNECT_TIMEOUT_NS)
        sel.register(tcp, selectors.EVENT_WRITE, seq)

    def read_icmp():
        while True:
            try:
                data, anc, _flags, _addr = icmp.recvmsg(2048, 64)
            except BlockingIOError:
                return
            ts = time.time_ns()
            for level, kind, value in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", value[:16])
                    ts = sec * 1_000_000_000 + nsec
            ihl = (data[0] & 0x0F) * 4
            if len(data) < ihl + 8:
                continue
            typ, _code, _sum, rid, rseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
            if typ == 0 and rid == ident:
                out.write(f"icmp {ts} {rseq}\n")

    seq = 0
    next_ns = time.monotonic_ns()
    while running[0]:
        now = time.monotonic_ns()
        if now >= next_ns:
            send(seq)
            seq += 1
            # Keep the schedule; after a stall skip the missed slots instead of bursting.
            next_ns += period_ns
            if next_ns <= now:
                next_ns = now + period_ns
        timeout = max(0.0, (next_ns - time.monotonic_ns()) / 1e9)
        for key, _ in sel.select(timeout):
            if key.fileobj is icmp:
                read_icmp()
                continue
            sock = key.fileobj
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            t = time.time_ns()
            if err == 0:
                out.write(f"tcp {t} {key.data}\n")
            else:
                out.write(f"tcpx {t} {key.data} {err}\n")
            close(sock)
        wall = time.time_ns()
        for sock, (s, deadline) in list(pending.items()):
            if wall > deadline:
                out.write(f"tcpt {wall} {s}\n")
                close(sock)
    out.close()


def main(argv):
    if len(argv) >= 3 and argv[1] == "listen":
        listen(int(argv[2]))
    elif len(argv) == 6 and argv[1] == "probe":
        probe(argv[2], int(argv[3]), float(argv[4]), argv[5])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
