#!/usr/bin/env python3
"""vrrp_inject.py — sends hand-made VRRP packets from a lab host, for the scenarios that check
what keepvip drops. Python 3 standard library only; IPv4 only (a raw IPPROTO_RAW socket, so
the IP header is ours: any TTL, any source address inside the lab).

One packet, repeated:
  vrrp_inject.py --src 10.99.0.12 --dst 10.99.0.11 --vrid 51 --prio 200 --addr 10.99.0.100 \
                 [--version 3] [--type 1] [--ttl 255] [--interval-cs 10] [--count N]
                 [--bad-checksum] [--truncate LEN] [--extra N] [--repeat N] [--gap-ms MS]
Random packets (bytes, and valid adverts with random bytes changed, checksums made right):
  vrrp_inject.py --src ... --dst ... --vrid 51 --addr 10.99.0.100 --random N --seed S

Prints one line: "sent N" (and the seed in random mode). Exit status 0 when every packet
went out.
"""
import argparse
import random
import socket
import struct
import sys
import time

VRRP_PROTO = 112


def inet_sum(data):
    """RFC 1071 one's complement sum, folded."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def vrrp_message(a, count=None, checksum=None):
    """The VRRP message (RFC 5798 §5.2 / RFC 3768 §5.3) with a correct checksum unless given."""
    addrs = b"".join(socket.inet_aton(x) for x in a.addr)
    n = len(a.addr) if count is None else count
    if a.version == 2:
        head = struct.pack("!BBBBBBH", (2 << 4) | a.type, a.vrid, a.prio, n, 0,
                           a.interval_cs // 100, 0)
        msg = head + addrs + b"\0" * 8
        body_sum = inet_sum(msg)
    else:
        head = struct.pack("!BBBBHH", (a.version << 4) | a.type, a.vrid, a.prio, n,
                           a.interval_cs & 0x0FFF, 0)
        msg = head + addrs
        pseudo = socket.inet_aton(a.src) + socket.inet_aton(a.dst) + struct.pack(
            "!BBH", 0, VRRP_PROTO, len(msg))
        body_sum = inet_sum(pseudo + msg)
    value = body_sum if checksum is None else checksum
    return msg[:6] + struct.pack("!H", value) + msg[8:]


def fix_checksum(a, msg):
    """Recomputes the checksum of a (possibly mutated) message as its version byte says."""
    if len(msg) < 8:
        return msg
    zeroed = msg[:6] + b"\0\0" + msg[8:]
    if msg[0] >> 4 == 2:
        value = inet_sum(zeroed)
    else:
        pseudo = socket.inet_aton(a.src) + socket.inet_aton(a.dst) + struct.pack(
            "!BBH", 0, VRRP_PROTO, len(msg))
        value = inet_sum(pseudo + zeroed)
    return msg[:6] + struct.pack("!H", value) + msg[8:]


def ip_packet(a, payload, ttl):
    """IPv4 header (RFC 791) in front of payload; the kernel fills the id and the checksum."""
    head = struct.pack("!BBHHHBBH4s4s", 0x45, 0xC0, 20 + len(payload), 0, 0, ttl, VRRP_PROTO,
                       0, socket.inet_aton(a.src), socket.inet_aton(a.dst))
    return head + payload


def random_payloads(a, n, rng):
    """Half plain random bytes, half valid adverts with 1 to 4 random bytes changed (checksum
    made right again, so the change reaches the checks behind the checksum)."""
    base = vrrp_message(a)
    for i in range(n):
        if i % 2 == 0:
            yield bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 64)))
        else:
            msg = bytearray(base)
            for _ in range(rng.randrange(1, 5)):
                msg[rng.randrange(len(msg))] = rng.getrandbits(8)
            if rng.random() < 0.3:
                msg = msg[:rng.randrange(len(msg) + 1)]
            yield fix_checksum(a, bytes(msg))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--src", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--vrid", type=int, default=51)
    p.add_argument("--prio", type=int, default=100)
    p.add_argument("--addr", action="append", required=True)
    p.add_argument("--version", type=int, default=3)
    p.add_argument("--type", type=int, default=1)
    p.add_argument("--ttl", type=int, default=255)
    p.add_argument("--interval-cs", type=int, default=100)
    p.add_argument("--count", type=int)
    p.add_argument("--bad-checksum", action="store_true")
    p.add_argument("--truncate", type=int, help="send only the first LEN bytes")
    p.add_argument("--extra", type=int, default=0, help="zero bytes after the message")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--gap-ms", type=float, default=0)
    p.add_argument("--random", type=int, help="send N random packets instead")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()

    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    if a.random:
        rng = random.Random(a.seed)
        payloads = random_payloads(a, a.random, rng)
    else:
        msg = vrrp_message(a, count=a.count)
        if a.bad_checksum:
            good = struct.unpack("!H", msg[6:8])[0]
            msg = msg[:6] + struct.pack("!H", good ^ 0x5A5A) + msg[8:]
        msg += b"\0" * a.extra
        if a.truncate is not None:
            msg = msg[:a.truncate]
        payloads = (msg for _ in range(a.repeat))
    sent = 0
    for payload in payloads:
        sock.sendto(ip_packet(a, payload, a.ttl), (a.dst, 0))
        sent += 1
        if a.gap_ms:
            time.sleep(a.gap_ms / 1000)
    print("sent %d%s" % (sent, " seed %d" % a.seed if a.random else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
