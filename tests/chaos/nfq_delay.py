#!/usr/bin/env python3
"""nfq_delay.py — a userspace netem for the chaos lab (loss + delay through NFQUEUE).

    nfq_delay.py --queue N --seed S [--loss 0.3] [--delay-ms 100] [--jitter-ms 50]
                 [--dist uniform|normal] [--maxlen 10000] [--ready FILE]

Where the kernel has no sch_netem (CONFIG_NET_SCH_NETEM unset) but has nfnetlink_queue, the
harness sends a namespace's eth0 traffic to queue N (iptables -j NFQUEUE, INPUT and OUTPUT)
and this process holds each packet: with probability --loss it is dropped at once (NF_DROP),
otherwise it is let through (NF_ACCEPT) after a delay drawn from a generator seeded with
"S/N": uniform on [delay - jitter, delay + jitter] (what `tc netem delay 100ms 50ms` does
without a distribution table) or normal (mean delay, sigma jitter), clamped at 0. Verdicts
go out by due time, so packets may overtake each other as they do under netem's jitter.
Only what iptables sees is delayed: ARP is not.

Queue: max length --maxlen, fail-open off (a packet beyond a full queue is dropped, as
beyond netem's limit). The queue is bound to this network namespace (run it with
`ip netns exec`). --ready FILE is created once the queue is bound: add the rules after that,
or packets meet a queue with no listener (dropped). SIGTERM/SIGINT: stop reading, let the
held packets out at their due time, print one line of figures to stderr and exit 0.

Raw AF_NETLINK / NETLINK_NETFILTER messages (linux/netfilter/nfnetlink_queue.h): an
nlmsghdr, an nfgenmsg (family, version, res_id = queue number, big-endian), then attributes.
Python standard library only.
"""
import argparse
import errno
import heapq
import os
import random
import select
import signal
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_PACKET_HDR, NFQA_VERDICT_HDR = 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS, NFQA_CFG_QUEUE_MAXLEN, NFQA_CFG_MASK, NFQA_CFG_FLAGS = 1, 2, 3, 4, 5
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NFQA_CFG_F_FAIL_OPEN = 1
NF_DROP, NF_ACCEPT = 0, 1
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLA_TYPE_MASK = 0x3FFF
NLMSGHDR = struct.Struct("=IHHII")  # len, type, flags, seq, pid (host order)
NLATTR = struct.Struct("=HH")       # len, type (host order)
NFGENMSG = struct.Struct("!BBH")    # family, version, res_id (big-endian)


class Stop(Exception):
    """Raised by the SIGTERM/SIGINT handler."""


def align4(n: int) -> int:
    return (n + 3) & ~3


def attr(kind: int, payload: bytes) -> bytes:
    raw = NLATTR.pack(NLATTR.size + len(payload), kind) + payload
    return raw + b"\0" * (align4(len(raw)) - len(raw))


def message(msg: int, flags: int, seq: int, queue: int, attrs: bytes) -> bytes:
    body = NFGENMSG.pack(socket.AF_UNSPEC, 0, queue) + attrs
    return NLMSGHDR.pack(NLMSGHDR.size + len(body), (NFNL_SUBSYS_QUEUE << 8) | msg,
                         flags, seq, 0) + body


def split_messages(data: bytes):
    """(type, flags, seq, payload after nlmsghdr) for each netlink message in a datagram."""
    off = 0
    while off + NLMSGHDR.size <= len(data):
        length, kind, flags, seq, _ = NLMSGHDR.unpack_from(data, off)
        if length < NLMSGHDR.size or off + length > len(data):
            break
        yield kind, flags, seq, data[off + NLMSGHDR.size:off + length]
        off += align4(length)


def split_attrs(data: bytes):
    off = 0
    while off + NLATTR.size <= len(data):
        length, kind = NLATTR.unpack_from(data, off)
        if length < NLATTR.size:
            break
        yield kind & NLA_TYPE_MASK, data[off + NLATTR.size:off + length]
        off += align4(length)


def ack_error(payload: bytes) -> int:
    """The errno of an NLMSG_ERROR payload (0 for an ACK)."""
    return -struct.unpack_from("=i", payload)[0]


def configure(sock: socket.socket, queue: int, maxlen: int) -> None:
    """Binds the queue, then sets copy meta, the max length and fail-open off; each acked."""
    requests = [
        attr(NFQA_CFG_CMD, struct.pack("!BBH", NFQNL_CFG_CMD_BIND, 0, socket.AF_UNSPEC)),
        attr(NFQA_CFG_PARAMS, struct.pack("!IB", 0, NFQNL_COPY_META))
        + attr(NFQA_CFG_QUEUE_MAXLEN, struct.pack("!I", maxlen))
        + attr(NFQA_CFG_MASK, struct.pack("!I", NFQA_CFG_F_FAIL_OPEN))
        + attr(NFQA_CFG_FLAGS, struct.pack("!I", 0)),
    ]
    for seq, attrs in enumerate(requests, start=1):
        sock.send(message(NFQNL_MSG_CONFIG, NLM_F_REQUEST | NLM_F_ACK, seq, queue, attrs))
        while True:
            acked = False
            for kind, _, got_seq, payload in split_messages(sock.recv(65536)):
                if kind == NLMSG_ERROR and got_seq == seq:
                    err = ack_error(payload)
                    if err:
                        raise OSError(err, f"queue {queue} config step {seq}: {os.strerror(err)}")
                    acked = True
            if acked:
                break


class Emulator:
    """Draws each packet's fate and keeps the held ones in a heap by due time."""

    def __init__(self, args):
        self.rng = random.Random(f"{args.seed}/{args.queue}")
        self.loss, self.delay, self.jitter = args.loss, args.delay_ms / 1000, args.jitter_ms / 1000
        self.normal = args.dist == "normal"
        self.held = []  # (due monotonic s, packet id)
        self.packets = self.dropped = 0
        self.delays = []

    def draw_delay(self) -> float:
        if self.normal:
            return max(0.0, self.rng.gauss(self.delay, self.jitter))
        return max(0.0, self.rng.uniform(self.delay - self.jitter, self.delay + self.jitter))

    def arrive(self, packet_id: int, now: float):
        """NF_DROP for a lost packet (to send now), None when it is held."""
        self.packets += 1
        if self.rng.random() < self.loss:
            self.dropped += 1
            return NF_DROP
        wait = self.draw_delay()
        self.delays.append(wait)
        heapq.heappush(self.held, (now + wait, packet_id))
        return None

    def due(self, now: float):
        while self.held and self.held[0][0] <= now:
            yield heapq.heappop(self.held)[1]

    def timeout(self, now: float, cap: float) -> float:
        return cap if not self.held else max(0.0, min(cap, self.held[0][0] - now))

    def summary(self, queue: int) -> str:
        n = len(self.delays)
        mean = 1000 * sum(self.delays) / n if n else 0.0
        lo = 1000 * min(self.delays) if n else 0.0
        hi = 1000 * max(self.delays) if n else 0.0
        pct = 100.0 * self.dropped / self.packets if self.packets else 0.0
        return (f"nfq_delay: queue {queue}: packets {self.packets} dropped {self.dropped} "
                f"({pct:.1f} %) delay_ms mean {mean:.1f} min {lo:.1f} max {hi:.1f}")


def packet_id_of(payload: bytes):
    for kind, value in split_attrs(payload[NFGENMSG.size:]):
        if kind == NFQA_PACKET_HDR and len(value) >= 4:
            return struct.unpack_from("!I", value)[0]
    return None


def verdict(sock: socket.socket, queue: int, packet_id: int, what: int) -> None:
    msg = message(NFQNL_MSG_VERDICT, NLM_F_REQUEST, 0, queue,
                  attr(NFQA_VERDICT_HDR, struct.pack("!II", what, packet_id)))
    sock.send(msg)


def read_packets(sock: socket.socket, emu: Emulator, queue: int, stats: dict) -> None:
    """Reads every waiting message (non-blocking) and answers the lost packets at once."""
    while True:
        try:
            data = sock.recv(65536, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return
        except OSError as e:
            if e.errno == errno.ENOBUFS:  # the socket overran: the kernel dropped some
                stats["enobufs"] += 1
                continue
            raise
        now = time.monotonic()
        for kind, _, _, payload in split_messages(data):
            if kind == NLMSG_ERROR:
                if ack_error(payload):
                    stats["verdict_errors"] += 1
                continue
            if kind != (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                continue
            packet_id = packet_id_of(payload)
            if packet_id is None:
                continue
            if emu.arrive(packet_id, now) == NF_DROP:
                verdict(sock, queue, packet_id, NF_DROP)


def parse_args(argv):
    p = argparse.ArgumentParser(description="userspace netem through NFQUEUE")
    p.add_argument("--queue", type=int, required=True)
    p.add_argument("--seed", required=True)
    p.add_argument("--loss", type=float, default=0.3)
    p.add_argument("--delay-ms", type=float, default=100.0)
    p.add_argument("--jitter-ms", type=float, default=50.0)
    p.add_argument("--dist", choices=["uniform", "normal"], default="uniform")
    p.add_argument("--maxlen", type=int, default=10000)
    p.add_argument("--ready")
    return p.parse_args(argv)


def main(argv) -> int:
    args = parse_args(argv)

    def stop(_sig, _frame):
        raise Stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((0, 0))
    try:
        configure(sock, args.queue, args.maxlen)
    except OSError as e:
        print(f"nfq_delay: cannot bind queue {args.queue}: {e}", file=sys.stderr)
        return 1
    if args.ready:
        with open(args.ready, "w", encoding="ascii") as f:
            f.write(f"{os.getpid()}\n")
    emu = Emulator(args)
    stats = {"enobufs": 0, "verdict_errors": 0}
    try:
        while True:
            ready, _, _ = select.select([sock], [], [], emu.timeout(time.monotonic(), 1.0))
            if ready:
                read_packets(sock, emu, args.queue, stats)
            for packet_id in emu.due(time.monotonic()):
                verdict(sock, args.queue, packet_id, NF_ACCEPT)
    except Stop:
        pass
    # The fault is over: nothing new is read; the held packets leave at their due time.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while emu.held:
        time.sleep(emu.timeout(time.monotonic(), 1.0))
        for packet_id in emu.due(time.monotonic()):
            verdict(sock, args.queue, packet_id, NF_ACCEPT)
    print(f"{emu.summary(args.queue)} enobufs {stats['enobufs']} "
          f"verdict_errors {stats['verdict_errors']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
