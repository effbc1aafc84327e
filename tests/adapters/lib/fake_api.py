#!/usr/bin/env python3
"""fake_api.py - one fake orchestrator API for every adapter test (python3 standard library).

It replays ../shared/fixtures and scripted event streams over HTTP/1.1, on TCP (127.0.0.1 by
default), on TCP with TLS, or on a unix socket:

  fake_api.py --scenario FILE [--fixtures DIR] [--bind ADDR] [--port N] [--unix PATH]
              [--tls-dir DIR] [--opt NAME=VALUE ...]

The first line on stdout says where it listens: the port (TCP, TLS) or the socket path. With
--tls-dir, DIR gets ca.pem (give it to the client), cert.pem and key.pem, made with openssl
at start for 127.0.0.1, ::1, localhost and the --bind address (kept when already there).
--bind takes an IPv6 address too (::1).

A scenario is a JSON file or a Python file.

JSON: {"routes": [ROUTE, ...]}, first match wins. A ROUTE:
  "method": "GET" (default), "path": "/v1.43/info" (exact) or "path_prefix": "/v2/apps/",
  "query": {"name": "value"} (these must be in the request; "*" = present),
  "times": N (answers N requests, then no longer matches),
  "status": 200, "headers": {"Retry-After": "2"}, "delay_ms": N (before the answer), and one of
  "fixture": "swarm/info-manager.json" (relative to --fixtures), "json": VALUE, "body": "text",
  "stream": [STEP, ...]: a chunked, long-lived answer. A STEP is one of
     {"fixture": "kubernetes/pods-watch-stream.jsonl", "split": "lines" | "events" | "whole",
      "delay_ms": N}   each line (jsonl) / each event (sse, blank-line separated) a chunk,
                       delay_ms before each one
     {"chunk": "text"} {"json": VALUE} (one line)  {"delay_ms": N} (pause)
     {"close": true}   drop the connection mid-stream, without the last chunk
     {"hold_ms": N}    keep the stream open N ms more (then end it), "hold_ms": -1 forever
   A stream that runs out of steps ends with the last (zero) chunk.
No route matches: 404 {"message": "no route"}.

Python: a file defining class Scenario(fixtures, options) with
  handle(self, req) -> Response or None   (None: the JSON routes of "routes" attribute, if any)
  control(self, what, query) -> dict or None  (its own /_control/<what>; None = unknown)
  extra_stats(self) -> dict                   (merged into /_control/stats)
req has method, path, query (dict, last value), headers, client (address or "").
Response(status, body=b"", headers=None, ctype=...) or Response(stream=[STEP...]); delays
may block: every connection has its own thread.

Control endpoints (GET /_control/..., JSON answers) for every scenario:
  stats          {"total": N, "paths": {path: count}, ...scenario's}
  reset_stats
  requests       the requests seen, in order: [{"method", "path", "query", "headers"}]
  down?seconds=N&mode=500|drop|hang   every request fails for N seconds
  push?route=JSON    a route put before the others (URL-encoded JSON); clear removes them
  clear
"""
import argparse
import importlib.util
import json
import os
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Response:
    def __init__(self, status=200, body=b"", headers=None, ctype="application/json",
                 stream=None, drop=False):
        self.status = status
        self.body = body.encode() if isinstance(body, str) else body
        self.headers = dict(headers or {})
        self.ctype = ctype
        self.stream = stream
        self.drop = drop

    @classmethod
    def json(cls, status, value, headers=None):
        return cls(status, (json.dumps(value, indent=1) + "\n").encode(), headers)


class Request:
    def __init__(self, method, path, query, headers, client):
        self.method, self.path, self.query = method, path, query
        self.headers, self.client = headers, client


def read_fixture(fixtures, name):
    with open(os.path.join(fixtures, name), "rb") as f:
        return f.read()


def split_fixture(data, how):
    if how == "whole":
        return [data]
    if how == "events":  # SSE: events end with a blank line (CRLF or LF kept as written)
        out, cur = [], b""
        for line in data.splitlines(keepends=True):
            cur += line
            if line in (b"\r\n", b"\n"):
                out.append(cur)
                cur = b""
        return out + ([cur] if cur else [])
    return [l for l in data.splitlines(keepends=True) if l.strip()]


class Routes:
    """JSON routes: a list of dicts, matched in order; "times" counts down."""

    def __init__(self, routes, fixtures):
        self.routes = [dict(r) for r in routes]
        self.fixtures = fixtures
        self.lock = threading.Lock()

    def match(self, req):
        with self.lock:
            for r in self.routes:
                if r.get("method", "GET") != req.method:
                    continue
                if "path" in r and r["path"] != req.path:
                    continue
                if "path_prefix" in r and not req.path.startswith(r["path_prefix"]):
                    continue
                if any(req.query.get(k) is None or (v != "*" and req.query.get(k) != v)
                       for k, v in r.get("query", {}).items()):
                    continue
                if "times" in r:
                    if r["times"] <= 0:
                        continue
                    r["times"] -= 1
                return self.response(r)
        return None

    def response(self, r):
        if r.get("delay_ms"):
            time.sleep(r["delay_ms"] / 1000.0)
        headers = r.get("headers", {})
        status = r.get("status", 200)
        if r.get("drop"):
            return Response(drop=True)
        if "stream" in r:
            return Response(status, headers=headers, stream=r["stream"],
                            ctype=headers.get("Content-Type", "application/json"))
        if "fixture" in r:
            body = read_fixture(self.fixtures, r["fixture"])
        elif "json" in r:
            body = (json.dumps(r["json"]) + "\n").encode()
        else:
            body = r.get("body", "").encode()
        return Response(status, body, headers, headers.get("Content-Type", "application/json"))


def load_scenario(path, fixtures, options):
    if path.endswith(".py"):
        spec = importlib.util.spec_from_file_location("fake_api_scenario", path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules["fake_api"] = sys.modules[__name__]  # scenarios import Response from here
        spec.loader.exec_module(mod)
        return mod.Scenario(fixtures, options)
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)

    class JsonScenario:
        routes = spec.get("routes", [])

        def handle(self, req):
            return None

    return JsonScenario()


class State:
    def __init__(self, scenario, fixtures):
        self.scenario = scenario
        self.fixtures = fixtures
        self.routes = Routes(getattr(scenario, "routes", []) or [], fixtures)
        self.pushed = Routes([], fixtures)
        self.lock = threading.Lock()
        self.down_until, self.down_mode = 0.0, "500"
        self.reset()

    def reset(self):
        with self.lock:
            self.stats = {"total": 0, "paths": {}}
            self.seen = []

    def count(self, req):
        with self.lock:
            self.stats["total"] += 1
            self.stats["paths"][req.path] = self.stats["paths"].get(req.path, 0) + 1
            self.seen.append({"method": req.method, "path": req.path, "query": req.query,
                              "headers": {k: v for k, v in req.headers.items()
                                          if k.lower() not in ("host", "accept-encoding")}})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None  # set by main

    def setup(self):
        # TCP: no Nagle, as Go's net/http (the API server): a small event goes out at once
        self.disable_nagle_algorithm = getattr(self.request, "family", None) in (
            socket.AF_INET, socket.AF_INET6)
        super().setup()

    def log_message(self, fmt, *args):  # quiet
        pass

    def address_string(self):
        return self.client_address[0] if isinstance(self.client_address, tuple) else "unix"

    def write(self, data):
        try:
            self.wfile.write(data)
            self.wfile.flush()
            return True
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True  # the client went away (a body over its limit)
            return False

    def send(self, resp):
        if resp.drop:
            return self.drop()
        self.send_response(resp.status)
        if "Content-Type" not in resp.headers:
            self.send_header("Content-Type", resp.ctype)
        for k, v in resp.headers.items():
            self.send_header(k, str(v))
        if resp.stream is not None:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            return self.stream(resp.stream)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.write(resp.body)

    def chunk(self, data):
        if isinstance(data, str):
            data = data.encode()
        return not data or self.write(b"%x\r\n%s\r\n" % (len(data), data))

    def stream(self, steps):
        for step in steps:
            if step.get("close"):
                return self.drop()
            if "fixture" in step:
                for piece in split_fixture(read_fixture(self.state.fixtures, step["fixture"]),
                                           step.get("split", "lines")):
                    time.sleep(step.get("delay_ms", 0) / 1000.0)
                    if not self.chunk(piece):
                        return
                continue
            time.sleep(step.get("delay_ms", 0) / 1000.0)
            if "chunk" in step and not self.chunk(step["chunk"]):
                return
            if "json" in step and not self.chunk(json.dumps(step["json"]) + "\n"):
                return
            if "hold_ms" in step:
                end = None if step["hold_ms"] < 0 else time.monotonic() + step["hold_ms"] / 1000.0
                while end is None or time.monotonic() < end:
                    time.sleep(0.05)
        self.write(b"0\r\n\r\n")

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def request_of(self):
        url = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        client = self.client_address[0] if isinstance(self.client_address, tuple) else ""
        return Request(self.command, url.path, q, dict(self.headers.items()), client)

    def handle_any(self):
        st = self.state
        n = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(n) if n > 0 else b""
        req = self.request_of()
        if req.path.startswith("/_control/"):
            return self.control(req.path[len("/_control/"):], req.query)
        st.count(req)
        if time.monotonic() < st.down_until:
            if st.down_mode == "drop":
                return self.drop()
            if st.down_mode == "hang":
                time.sleep(max(0.0, st.down_until - time.monotonic()))
                return self.drop()
            return self.send(Response(500, b"Internal Server Error", ctype="text/plain"))
        resp = st.pushed.match(req) or st.scenario.handle(req) or st.routes.match(req)
        self.send(resp or Response.json(404, {"message": "no route", "path": req.path}))

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_any

    def control(self, what, q):
        st = self.state
        answer = {"ok": True}
        if what == "stats":
            with st.lock:
                answer = dict(st.stats, paths=dict(st.stats["paths"]))
            extra = getattr(st.scenario, "extra_stats", None)
            if extra:
                answer.update(extra())
        elif what == "reset_stats":
            st.reset()
            reset = getattr(st.scenario, "reset_stats", None)
            if reset:
                reset()
        elif what == "requests":
            with st.lock:
                answer = list(st.seen)
        elif what == "down":
            with st.lock:
                st.down_until = time.monotonic() + float(q.get("seconds", "5"))
                st.down_mode = q.get("mode", "500")
        elif what == "push":
            st.pushed.routes.insert(0, json.loads(q["route"]))
        else:
            own = getattr(st.scenario, "control", None)
            got = own(what, q) if own else None
            if what == "clear":
                st.pushed.routes.clear()
            elif got is None:
                return self.send(Response.json(404, {"error": "unknown control " + what}))
            answer = got or answer
        self.send(Response.json(200, answer))


class UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def make_tls(dirname, bind="127.0.0.1"):
    """A CA and a server certificate for 127.0.0.1, ::1, localhost and the bound address,
    made with openssl."""
    os.makedirs(dirname, exist_ok=True)
    ca, ca_key = os.path.join(dirname, "ca.pem"), os.path.join(dirname, "ca-key.pem")
    cert, key = os.path.join(dirname, "cert.pem"), os.path.join(dirname, "key.pem")
    if all(os.path.exists(p) for p in (ca, cert, key)):
        return cert, key
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
        "/CN=keepvip test CA", "-keyout", ca_key, "-out", ca)
    csr = os.path.join(dirname, "cert.csr")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", key,
        "-out", csr)
    ext = os.path.join(dirname, "ext.cnf")
    with open(ext, "w") as f:
        names = ["IP:127.0.0.1", "IP:::1", "DNS:localhost"]
        if bind not in ("127.0.0.1", "::1", "0.0.0.0", "::", ""):
            names.append("IP:" + bind)
        f.write("subjectAltName=%s\nbasicConstraints=CA:FALSE\n" % ",".join(names))
    run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-days",
        "2", "-extfile", ext, "-out", cert)
    return cert, key


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.normpath(os.path.join(here, "..", "..", "..", "..", "shared", "fixtures"))
    ap = argparse.ArgumentParser(description="fake orchestrator API")
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--fixtures", default=default)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--unix", help="listen on this unix socket instead of TCP")
    ap.add_argument("--tls-dir", help="serve HTTPS with a CA and certificate made here")
    ap.add_argument("--opt", action="append", default=[], help="NAME=VALUE for the scenario")
    args = ap.parse_args()
    options = dict(o.split("=", 1) for o in args.opt)
    Handler.state = State(load_scenario(args.scenario, args.fixtures, options), args.fixtures)
    if args.unix:
        if os.path.exists(args.unix):
            os.unlink(args.unix)
        server = UnixHTTPServer(args.unix, Handler)
        where = args.unix
    else:
        if ":" in args.bind:  # an IPv6 address
            ThreadingHTTPServer.address_family = socket.AF_INET6
        server = ThreadingHTTPServer((args.bind, args.port), Handler)
        server.daemon_threads = True
        where = server.server_address[1]
        if args.tls_dir:
            cert, key = make_tls(args.tls_dir, args.bind)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(where, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
