"""hostile_bodies.py - the hostile answers every fake_api.py scenario can serve (issue 13 point
5): made from the good body, or from nothing, so each scenario only says where they go.

Kinds of a whole answer (spoil): truncated, not_json, bad_utf8 (a byte sequence that is not
UTF-8 inside the first string), deep (arrays nested 100,000 deep).
Streamed kinds (stream_steps, fake_api.py stream steps): endless (1 GiB after a prefix, in
64 KiB pieces: a server that never stops; with no line end, a line that never ends), slow
(the good body, one byte a second), silent (headers, then nothing, forever).
"""

ENDLESS_BYTES = 1 << 30
ENDLESS_PIECE = b"x" * (64 << 10)
DEEP_LEVELS = 100000
STREAMED = ("endless", "slow", "silent")
SPOILED = ("truncated", "not_json", "bad_utf8", "deep")


def spoil(kind, good):
    """A bad whole body of the given kind, made from the good one."""
    if kind == "truncated":
        return good[: max(1, len(good) // 2)]
    if kind == "not_json":
        return b"<html>502 Bad Gateway</html>"
    if kind == "bad_utf8":
        at = good.find(b'": "')
        if at < 0:
            return b'["\xc3\x28\xff"]'
        at += 4
        return good[:at] + b"\xc3\x28\xff" + good[at:]
    if kind == "deep":
        return b"[" * DEEP_LEVELS + b"]" * DEEP_LEVELS
    raise ValueError("no such hostile body: " + kind)


def endless(prefix=b'{"padding":"'):
    """Stream steps: prefix, then 1 GiB of 'x' (no line end, no event end)."""
    yield {"chunk": prefix}
    for _ in range(ENDLESS_BYTES // len(ENDLESS_PIECE)):
        yield {"chunk": ENDLESS_PIECE}


def stream_steps(kind, good, prefix=b'{"padding":"'):
    """The stream steps of a body that takes forever."""
    if kind == "endless":
        return endless(prefix)
    if kind == "slow":
        return [{"chunk": good[i:i + 1], "delay_ms": 1000} for i in range(len(good))]
    if kind == "silent":
        return [{"hold_ms": -1}]
    raise ValueError("no such streamed body: " + kind)
