"""rancher.py - fake_api.py scenario: a Rancher 1.x metadata service (rancher-metadata).

Serves fixtures/rancher (written for metadata version 2015-12-19) under every version the real
server knows (2015-07-25, 2015-12-19, 2016-07-29, latest), reshaped the way rancher-metadata's
generator reshapes them (see shared/reference/rancher-metadata.md): 2015-07-25 lists a
service's containers and a stack's services by name; 2016-07-29 lower-cases names and drops
hosts' hostId. Paths are walked like the real server: map keys, list indexes, list elements by
name then uuid, one retry with the path lower-cased. The client is always "host network":
/self/host is node-a, /self/container and /self/service are 404 (unless managed). With
--opt self_by_source=1, /self/host is the host whose agent_ip is the client's source address
(node-a when none is): one server for several keepvip hosts, as a real rancher-metadata
answers per host. --opt old_server=1: ignore wait=true (before v0.6.2).

Long poll: GET /<v>/version?wait=true&value=V&maxWait=S waits until the version differs from
V or S seconds (capped at 120) have passed.

Controls (GET /_control/..., besides fake_api.py's own: stats, requests, down, push, clear):
  version[?value=V]      set (or bump to a new random) version
  stop?name=C            container C stopped (and the version bumped)
  start?name=C           container C running again
  remove?name=C          container C no longer published
  host?name=H&agent_state=S   a host's agent_state (reconnecting, active)
  metadata?key=K&value=V the service's metadata keepvip.K set to V (JSON when V parses as
                         JSON, else a string; the version bumped)
  old_server?on=1|0      ignore wait=true
  managed?on=1|0         /self/service answers (a managed-network client)
  body?path=P&kind=K     the body of path P (without query) replaced, until clear:
                         K = huge, wrong_types, unknown_shape, or one of
                         ../lib/hostile_bodies.py (truncated, not_json, bad_utf8, deep,
                         endless, slow, silent)
  hang_poll?on=1|0       long polls answer their headers and one byte, then never end
stats adds "version_waits" (long polls begun).
"""
import copy
import json
import os
import threading
import time
import uuid
from urllib.parse import unquote

import hostile_bodies
from fake_api import Response

V1, V2, V3 = "2015-07-25", "2015-12-19", "2016-07-29"
VERSIONS = [V1, V2, V3, "latest"]
MAX_WAIT_CAP = 120
HUGE_BYTES = 6 << 20


def load(fixtures, name):
    with open(os.path.join(fixtures, "rancher", name), encoding="utf-8") as f:
        return json.load(f)


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
                hit = [e for e in node if isinstance(e, dict) and seg in (e.get("name"), e.get("uuid"))]
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
    if kind in hostile_bodies.SPOILED:
        return hostile_bodies.spoil(kind, good)
    if kind == "huge":
        pad = b'"' + b"x" * HUGE_BYTES + b'"'
        return b'{"padding":' + pad + b"," + good[1:] if good.startswith(b"{") else b"[" + pad + b"]"
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


class Scenario:
    """The environment as the Cattle side knows it; answers are built from it per request."""

    def __init__(self, fixtures, options):
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
        self.old_server = options.get("old_server") == "1"
        self.self_by_source = options.get("self_by_source") == "1"
        self.managed = False
        self.bodies = {}
        self.hang_poll = False
        self.version_waits = 0

    def extra_stats(self):
        return {"version_waits": self.version_waits}

    def reset_stats(self):
        self.version_waits = 0

    def bump(self, value=None):
        with self.lock:
            self.version = value if value else str(uuid.uuid4())
            self.lock.notify_all()

    def container(self, name):
        return next((c for c in self.containers if c["name"] == name), None)

    def self_host_for(self, source):
        for h in self.hosts:
            if h.get("agent_ip") == source:
                return h["name"]
        return self.self_host_name

    def tree(self, version, self_host_name):
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
        me = {"host": next(h for h in hosts if h["name"] == self_host_name)}
        if self.managed:
            me["service"] = services[0]
            me["stack"] = stacks[services[0]["stack_name"]]
            me["container"] = services[0]["containers"][0] if version != V1 else None
        return {
            "containers": containers, "services": services, "stacks": list(stacks.values()),
            "hosts": hosts, "networks": [], "self": me, "version": self.version,
        }

    # ---- requests --------------------------------------------------------------------------

    def handle(self, req):
        segs = [unquote(s) for s in req.path.split("/") if s]
        as_json = "application/json" in req.headers.get("Accept", "")
        if not segs:
            return self.answer({v: "/" + v for v in VERSIONS}, req.path, as_json)
        version, rest = segs[0], segs[1:]
        if version not in VERSIONS:
            return self.not_found(as_json, "Invalid version")
        q = req.query
        if rest == ["version"] and q.get("wait") == "true" and "value" in q and not self.old_server:
            if self.hang_poll:
                return Response(200, stream=[{"chunk": b'"'}, {"hold_ms": -1}],
                                ctype="text/plain; charset=utf-8")
            self.long_poll(q)
        me = self.self_host_for(req.client) if self.self_by_source else self.self_host_name
        tree = self.tree(V3 if version == "latest" else version, me)
        node, ok = walk(tree, rest)
        if not ok:
            node, ok = walk(tree, [s.lower() for s in rest])
        if not ok:
            return self.not_found(as_json, "Not found")
        return self.answer(node, req.path, as_json)

    def long_poll(self, q):
        try:
            max_wait = min(float(q.get("maxWait", "60")), MAX_WAIT_CAP)
        except ValueError:
            max_wait = 60
        deadline = time.monotonic() + max_wait
        with self.lock:
            self.version_waits += 1
            while self.version == q["value"] and time.monotonic() < deadline:
                self.lock.wait(min(0.2, max(0.0, deadline - time.monotonic())))

    def answer(self, node, path, as_json):
        body = (json.dumps(node, indent=1) + "\n").encode() if as_json else plain_text(node).encode()
        kind = self.bodies.get(path)
        if kind in hostile_bodies.STREAMED:
            return Response(200, stream=hostile_bodies.stream_steps(kind, body),
                            ctype="text/plain; charset=utf-8")
        if kind:
            body = spoil(kind, body)
        return Response(200, body, ctype="text/plain; charset=utf-8")  # Go sniffs JSON as text

    @staticmethod
    def not_found(as_json, message):
        if as_json:
            return Response.json(404, {"code": 404, "message": message, "type": "error"})
        return Response(404, message, ctype="text/plain; charset=utf-8")

    # ---- controls --------------------------------------------------------------------------

    def control(self, what, q):
        if what == "version":
            self.bump(q.get("value"))
        elif what in ("stop", "start", "remove"):
            c = self.container(q.get("name", ""))
            if c is None:
                return {"ok": False, "error": "no such container"}
            with self.lock:
                if what == "remove":
                    self.containers.remove(c)
                else:
                    c["state"] = "stopped" if what == "stop" else "running"
            self.bump()
        elif what == "host":
            h = next((h for h in self.hosts if h["name"] == q.get("name")), None)
            if h is None:
                return {"ok": False, "error": "no such host"}
            h["agent_state"] = q.get("agent_state", "active")
            self.bump()
        elif what == "metadata":
            try:
                value = json.loads(q.get("value", "null"))
            except ValueError:
                value = q.get("value")
            with self.lock:
                self.services[0].setdefault("metadata", {}).setdefault("keepvip", {})[q["key"]] = value
            self.bump()
        elif what in ("old_server", "managed", "hang_poll"):
            setattr(self, what, q.get("on", "1") == "1")
        elif what == "body":
            self.bodies[q["path"]] = q["kind"]
        elif what == "clear":
            self.bodies.clear()
        else:
            return None
        return {"ok": True, "version": self.version}
