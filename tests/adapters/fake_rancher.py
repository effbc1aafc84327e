#!/usr/bin/env python3
"""fake_rancher.py - a fake Rancher 1.x metadata service for the adapter tests.

Serves ../shared/fixtures/rancher (written for metadata version 2015-12-19) under every
version the real server knows (2015-07-25, 2015-12-19, 2016-07-29, latest), reshaped the way
rancher-metadata's generator reshapes them (see shared/reference/rancher-metadata.md):
2015-07-25 lists a service's containers and a stack's services by name; 2016-07-29 lower-cases
names and drops hosts' hostId. Paths are walked like the real server: map keys, list indexes,
list elements by name then uuid, one retry with the path lower-cased. The client is always
"host network": the default answer set, /self/host is node-a, /self/container and
/self/service are 404 (unless /_control/managed?on=1). With --self-by-source, /self/host is
the host whose agent_ip is the client's source address (node-a when none is): one server
for several keepvip hosts, as a real rancher-metadata answers per host.

Long poll: GET /<v>/version?wait=true&value=V&maxWait=S waits until the version differs from
V or S seconds (capped at 120) have passed.

Listens on 127.0.0.1 (--bind ADDR), an ephemeral port (--port N), printed as the first line
of stdout.

Control endpoints (GET, answer JSON):
  /_control/version[?value=V]      set (or bump to a new random) version
  /_control/stop?name=C            container C stopped (and the version bumped)
  /_control/start?name=C           container C running again
  /_control/remove?name=C          container C no longer published
  /_control/host?name=H&agent_state=S   a host's agent_state (reconnecting, active)
  /_control/down?seconds=N&mode=M  for N seconds every request fails: M = 500 (an error
                                   answer) or drop (connection closed without an answer)
  /_control/metadata?key=K&value=V  the service's metadata keepvip.K set to V (JSON when V
                                   parses as JSON, else a string; the version bumped)
  /_control/old_server?on=1|0      ignore wait=true (rancher-metadata before v0.6.2)
  /_control/managed?on=1|0         /self/service answers (a managed-network client)
  /_control/body?path=P&kind=K     the body of path P (without query) replaced, until
                                   /_control/clear: K = truncated, huge, wrong_types,
                                   not_json, unknown_shape
  /_control/clear                  undo every body override
  /_control/stats                  {"total": N, "paths": {path: count}, "version_waits": N}
  /_control/reset_stats
"""
import argparse
import copy
import json
import os
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

V1, V2, V3 = "2015-07-25", "2015-12-19", "2016-07-29"
VERSIONS = [V1, V2, V3, "latest"]
MAX_WAIT_CAP = 120
HUGE_BYTES = 6 << 20


def load(fixtures, name):
    with open(os.path.join(fixtures, name), encoding="utf-8") as f:
        return json.load(f)


class Model:
    """The environment as the Cattle side knows it; answers are built from it per request."""

    def __init__(self, fixtures):
        self.hosts = load(fixtures, "hosts.json")
        self.containers = load(fixtures, "containers.json")
        self.self_host_name = load(fixtures, "self-host.json")["name"]
        svc = load(fixtures, "self-service.json")
        svc.pop("containers", None)
        self.services = [svc]
        known = {(svc["stack_name"], svc["name"])}
        for c in self.containers:
            key = (c.get("stack_name"), c.get("service_name"))
            if key[0] and key not in known:
                known.add(key)
                self.services.append({
                    "name": key[1], "stack_name": key[0], "uuid": c["service_uuid"],
                    "stack_uuid": c["stack_uuid"], "kind": "service", "state": "active",
                    "metadata": {}, "labels": {}, "scale": 1, "system": c.get("system", False),
                    "primary_service_name": key[1],
                })
        self.version = load(fixtures, "version.json")
        self.lock = threading.Condition()
        self.down_until = 0.0
        self.down_mode = "500"
        self.old_server = False
        self.managed = False
        self.bodies = {}
        self.stats = {"total": 0, "paths": {}, "version_waits": 0}

    def bump(self, value=None):
        with self.lock:
            self.version = value if value else str(uuid.uuid4())
            self.lock.notify_all()

    def container(self, name):
        for c in self.containers:
            if c["name"] == name:
                return c
        return None

    def self_host_for(self, source):
        """The name of the host a client at address source runs on (--self-by-source)."""
        for h in self.hosts:
            if h.get("agent_ip") == source:
                return h["name"]
        return self.self_host_name

    def tree(self, version, self_host_name=None):
        """The default answer set of one metadata version, as seen from self_host_name."""
        containers = copy.deepcopy(self.containers)
        services = copy.deepcopy(self.services)
        hosts = copy.deepcopy(self.hosts)
        for s in services:
            mine = [c for c in containers
                    if c.get("stack_name") == s["stack_name"] and c.get("service_name") == s["name"]]
            s["containers"] = [c["name"] for c in mine] if version == V1 else mine
        stacks = {}
        for s in services:
            st = stacks.setdefault(s["stack_name"], {
                "name": s["stack_name"], "uuid": s["stack_uuid"], "services": [],
                "environment_name": "Default", "system": False})
            st["services"].append(s["name"] if version == V1 else s)
        if version == V3:
            for c in containers:
                for k in ("name", "service_name", "stack_name"):
                    if c.get(k):
                        c[k] = c[k].lower()
            for s in services:
                for k in ("name", "stack_name", "primary_service_name"):
                    if s.get(k):
                        s[k] = s[k].lower()
            for st in stacks.values():
                st["name"] = st["name"].lower()
            for h in hosts:
                h.pop("hostId", None)
        self_host_name = self_host_name or self.self_host_name
        self_host = next(h for h in hosts if h["name"] == self_host_name)
        me = {"host": self_host}
        if self.managed:
            me["service"] = services[0]
            me["stack"] = stacks[services[0]["stack_name"]]
            me["container"] = services[0]["containers"][0] if version != V1 else None
        return {
            "containers": containers, "services": services, "stacks": list(stacks.values()),
            "hosts": hosts, "networks": [], "self": me, "version": self.version,
        }


def walk(node, segments):
    for seg in segments:
        if isinstance(node, dict):
            if seg not in node:
                return None, False
            node = node[seg]
        elif isinstance(node, list):
            if seg.isdigit():
                i = int(seg)
                if i >= len(node):
                    return None, False
                node = node[i]
            else:
                hit = [e for e in node if isinstance(e, dict) and (e.get("name") == seg or e.get("uuid") == seg)]
                if not hit:
                    return None, False
                node = hit[0]
        else:
            return None, False
    return node, True


def plain_text(node):
    if isinstance(node, dict):
        return "\n".join(k + ("/" if isinstance(v, (dict, list)) else "") for k, v in sorted(node.items()))
    if isinstance(node, list):
        lines = []
        for i, e in enumerate(node):
            name = e.get("name") or e.get("uuid") if isinstance(e, dict) else None
            lines.append(f"{i}={name}" if name else str(i))
        return "\n".join(lines)
    return "" if node is None else str(node)


def spoil(kind, good):
    """A bad body of the given kind, made from the good one."""
    if kind == "truncated":
        return good[: max(1, len(good) // 2)]
    if kind == "huge":
        pad = b'"' + b"x" * HUGE_BYTES + b'"'
        return b'{"padding":' + pad + b"," + good[1:] if good.startswith(b"{") else b"[" + pad + b"]"
    if kind == "not_json":
        return b"<html>502 Bad Gateway</html>"
    data = json.loads(good)
    if kind == "wrong_types":
        items = data.get("containers") if isinstance(data, dict) else data
        if isinstance(items, list) and items and isinstance(items[0], dict):
            items[-1]["primary_ip"] = 167903245
        elif isinstance(data, dict):
            data["agent_ip"] = ["10.42.0.11"]
        else:
            data = 42
    elif kind == "unknown_shape":
        data = {"containers": "keepvip-keepvip-1,keepvip-keepvip-2"} if isinstance(data, dict) else {"items": data}
    return json.dumps(data).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    model = None  # set by main
    self_by_source = False  # --self-by-source

    def log_message(self, fmt, *args):  # quiet
        pass

    def send(self, status, body, ctype="text/plain; charset=utf-8"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)  # Go sniffs JSON as text/plain too
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a body over its limit)

    def send_json(self, status, value):
        self.send(status, (json.dumps(value, indent=1) + "\n").encode())

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(2)
        except OSError:
            pass

    def do_GET(self):
        url = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if url.path.startswith("/_control/"):
            return self.control(url.path[len("/_control/"):], q)
        m = self.model
        with m.lock:
            m.stats["total"] += 1
            m.stats["paths"][url.path] = m.stats["paths"].get(url.path, 0) + 1
            down = time.monotonic() < m.down_until
        if down:
            return self.drop() if m.down_mode == "drop" else self.send(500, b"Internal Server Error")
        segs = [unquote(s) for s in url.path.split("/") if s]
        as_json = "application/json" in self.headers.get("Accept", "")
        if not segs:
            return self.answer({v: "/" + v for v in VERSIONS}, url.path, as_json)
        version, rest = segs[0], segs[1:]
        if version not in VERSIONS:
            return self.not_found(as_json, "Invalid version")
        if rest == ["version"] and q.get("wait") == "true" and "value" in q and not m.old_server:
            self.long_poll(q)
        me = m.self_host_for(self.client_address[0]) if self.self_by_source else None
        tree = m.tree(V3 if version == "latest" else version, me)
        node, ok = walk(tree, rest)
        if not ok:
            node, ok = walk(tree, [s.lower() for s in rest])
        if not ok:
            return self.not_found(as_json, "Not found")
        self.answer(node, url.path, as_json)

    def long_poll(self, q):
        m = self.model
        try:
            max_wait = min(float(q.get("maxWait", "60")), MAX_WAIT_CAP)
        except ValueError:
            max_wait = 60
        deadline = time.monotonic() + max_wait
        with m.lock:
            m.stats["version_waits"] += 1
            while m.version == q["value"] and time.monotonic() < deadline:
                m.lock.wait(min(0.2, max(0.0, deadline - time.monotonic())))

    def answer(self, node, path, as_json):
        body = (json.dumps(node, indent=1) + "\n").encode() if as_json else plain_text(node).encode()
        kind = self.model.bodies.get(path)
        if kind:
            body = spoil(kind, body)
        self.send(200, body)

    def not_found(self, as_json, message):
        if as_json:
            return self.send_json(404, {"code": 404, "message": message, "type": "error"})
        return self.send(404, message.encode())

    def control(self, what, q):
        m = self.model
        if what == "version":
            m.bump(q.get("value"))
        elif what in ("stop", "start", "remove"):
            c = m.container(q.get("name", ""))
            if c is None:
                return self.send_json(404, {"error": "no such container"})
            with m.lock:
                if what == "remove":
                    m.containers.remove(c)
                else:
                    c["state"] = "stopped" if what == "stop" else "running"
            m.bump()
        elif what == "host":
            h = next((h for h in m.hosts if h["name"] == q.get("name")), None)
            if h is None:
                return self.send_json(404, {"error": "no such host"})
            h["agent_state"] = q.get("agent_state", "active")
            m.bump()
        elif what == "metadata":
            try:
                value = json.loads(q.get("value", "null"))
            except ValueError:
                value = q.get("value")
            with m.lock:
                m.services[0].setdefault("metadata", {}).setdefault("keepvip", {})[q["key"]] = value
            m.bump()
        elif what == "down":
            with m.lock:
                m.down_until = time.monotonic() + float(q.get("seconds", "5"))
                m.down_mode = q.get("mode", "500")
        elif what in ("old_server", "managed"):
            setattr(m, what, q.get("on", "1") == "1")
        elif what == "body":
            m.bodies[q["path"]] = q["kind"]
        elif what == "clear":
            m.bodies.clear()
        elif what == "stats":
            with m.lock:
                return self.send_json(200, m.stats)
        elif what == "reset_stats":
            with m.lock:
                m.stats = {"total": 0, "paths": {}, "version_waits": 0}
        else:
            return self.send_json(404, {"error": "unknown control " + what})
        return self.send_json(200, {"ok": True, "version": m.version})


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.normpath(os.path.join(here, "..", "..", "..", "shared", "fixtures", "rancher"))
    ap = argparse.ArgumentParser(description="fake rancher-metadata")
    ap.add_argument("--fixtures", default=default)
    ap.add_argument("--old-server", action="store_true", help="ignore wait=true")
    ap.add_argument("--bind", default="127.0.0.1", help="address to listen on")
    ap.add_argument("--port", type=int, default=0, help="port to listen on (0: ephemeral)")
    ap.add_argument("--self-by-source", action="store_true",
                    help="/self/host: the host whose agent_ip is the client's address")
    args = ap.parse_args()
    Handler.model = Model(args.fixtures)
    Handler.model.old_server = args.old_server
    Handler.self_by_source = args.self_by_source
    server = ThreadingHTTPServer((args.bind, args.port), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
