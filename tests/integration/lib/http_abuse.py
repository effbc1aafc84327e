#!/usr/bin/env python3
"""http_abuse.py — abuse an HTTP server the way a hostile or broken client would, for the
status server scenario (status_abuse.sh). Standard library only; one asyncio loop.

  http_abuse.py --host 127.0.0.1 --port 9650 --seconds 12 [--conns 1000]

For --seconds, all at once:
  * --conns connections opened and held: half silent, half "slow clients" that dribble a
    request one byte a second and never finish it;
  * 1 MB URLs ("GET /aaaa... HTTP/1.1"), one after another on fresh connections;
  * garbage: random bytes, unknown methods, a header flood, requests cut half-way,
    HTTP/0.9, pipelined junk, each on a fresh connection, as fast as the server answers.
Then every connection is closed at once. Prints one JSON line: what was sent and how the
server answered (status lines seen, connections refused or reset), so the scenario can say
what happened. Exit 0 unless the tool itself failed."""
import argparse
import asyncio
import json
import os
import random
import resource
import sys
import time

STATS = {"held": 0, "held_failed": 0, "slow_bytes": 0, "big_urls": 0, "garbage": 0,
         "answers": {}, "refused": 0, "reset": 0}


def count_answer(head):
    line = head.split(b"\r\n", 1)[0].decode("latin-1", "replace")[:40] or "(closed)"
    code = line.split(" ")[1] if line.startswith("HTTP/") and " " in line else line
    STATS["answers"][code] = STATS["answers"].get(code, 0) + 1


async def connect(host, port):
    try:
        return await asyncio.wait_for(asyncio.open_connection(host, port), 5)
    except (ConnectionRefusedError, asyncio.TimeoutError):
        STATS["refused"] += 1
    except OSError:
        STATS["reset"] += 1
    return None, None


async def read_answer(reader, timeout):
    try:
        head = await asyncio.wait_for(reader.read(256), timeout)
        count_answer(head)
    except (asyncio.TimeoutError, ConnectionError, OSError):
        STATS["answers"]["(no answer)"] = STATS["answers"].get("(no answer)", 0) + 1


async def hold(host, port, slow, stop):
    reader, writer = await connect(host, port)
    if writer is None:
        STATS["held_failed"] += 1
        return
    STATS["held"] += 1
    request = b"GET /status HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"z" * 4096
    i = 0
    try:
        while not stop.is_set():
            if slow and i < len(request):
                writer.write(request[i:i + 1])
                await writer.drain()
                STATS["slow_bytes"] += 1
                i += 1
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except asyncio.TimeoutError:
                pass
    except (ConnectionError, OSError):
        STATS["reset"] += 1
    finally:
        writer.close()


async def big_urls(host, port, stop, size):
    url = b"/" + b"a" * size
    while not stop.is_set():
        reader, writer = await connect(host, port)
        if writer is None:
            await asyncio.sleep(0.05)
            continue
        try:
            writer.write(b"GET " + url + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            await asyncio.wait_for(writer.drain(), 5)
            STATS["big_urls"] += 1
            await read_answer(reader, 5)
        except (ConnectionError, OSError, asyncio.TimeoutError):
            STATS["reset"] += 1
        finally:
            writer.close()


def garbage_payloads(rng):
    return [
        bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 2048))),
        b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\n" + b"".join(b"X-%d: %s\r\n" % (i, b"v" * 100)
                                                for i in range(2000)) + b"\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\nabc",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"GET /heal",
        b"GET /healthz\r\n\r\n",
        b"GET /healthz HTTP/9.9\r\n\r\n",
        b"\r\n\r\n\r\n\r\n",
        b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 50,
        b"GET /%00%ff%fe/../../etc/passwd?\xff\xfe HTTP/1.1\r\nHost: \x00\r\n\r\n",
    ]


async def garbage(host, port, stop, seed):
    rng = random.Random(seed)
    while not stop.is_set():
        reader, writer = await connect(host, port)
        if writer is None:
            await asyncio.sleep(0.05)
            continue
        try:
            writer.write(rng.choice(garbage_payloads(rng)))
            await asyncio.wait_for(writer.drain(), 5)
            STATS["garbage"] += 1
            await read_answer(reader, 2)
        except (ConnectionError, OSError, asyncio.TimeoutError):
            STATS["reset"] += 1
        finally:
            writer.close()


async def main_async(args):
    stop = asyncio.Event()
    tasks = []
    for i in range(args.conns):
        tasks.append(asyncio.create_task(hold(args.host, args.port, i % 2 == 1, stop)))
        if i % 50 == 49:
            await asyncio.sleep(0.01)  # a burst, not a single SYN flood the kernel drops
    for k in range(2):
        tasks.append(asyncio.create_task(big_urls(args.host, args.port, stop, args.url_bytes)))
    for k in range(4):
        tasks.append(asyncio.create_task(garbage(args.host, args.port, stop, args.seed + k)))
    await asyncio.sleep(args.seconds)
    stop.set()
    await asyncio.wait(tasks, timeout=10)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=9650)
    ap.add_argument("--seconds", type=float, default=12)
    ap.add_argument("--conns", type=int, default=1000)
    ap.add_argument("--url-bytes", type=int, default=1 << 20)
    ap.add_argument("--seed", type=int, default=int(os.environ.get("SEED", "1")))
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.conns + 256
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    started = time.monotonic()
    asyncio.run(main_async(args))
    STATS["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(STATS, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
