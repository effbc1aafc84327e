"""swarm.py - fake_api.py scenario: one Docker engine (20.10, API 1.41) in a swarm, on a unix
socket, replaying tests/adapters/fixtures/swarm-20.10 (answers of a real swarm: node1 manager
10.99.0.11, node2 and node3 workers; the global service lab_pause with a task on each node).

It does what a real engine cannot be made to do on demand here: refuse our API version (too
old, too new), be a manager still being prepared, a locked swarm, a node not in a swarm, send
truncated or huge bodies, close its event stream.

Options (--opt): role=manager|worker (default manager); node_addr=A (the /info NodeAddr);
manager_addr=A:P (a worker's only RemoteManagers entry); self_by_source=1 (/info's NodeID and
NodeAddr are those of the node whose Status.Addr is the client's address: one engine for
several keepvip hosts over TCP, each a manager); workers_by_source=A1+A2 (those clients are
workers: info-worker.json as theirs, 503 on /tasks and /nodes).

/swarm/peers: a manager keepvip's peer endpoint (swarm_peerset.h), for a worker whose
manager_addr is this server: {"version", "peers": every node's address}; with wait=S and the
current version, held until S s pass or the wake control.

Paths: /version (unversioned); /vX.Y/info, /tasks, /nodes, /containers/<id>/json, /events
(a held stream of the events queued by the event control). Versions outside [min, max] answer
400 as the engine does (reference 1).

Controls (GET /_control/..., besides fake_api.py's own):
  mode?m=active|preparing|locked|inactive|pending   the swarm's state (/info, manager paths)
  api?min=1.12&max=1.41      the engine's API range (/version and the version check)
  task?node=ID&state=S       the state of the task on node ID (failed, running, ...)
  node?id=ID&state=S         a node's Status.State (down, ready)
  event?type=T&action=A      one event line for every open /events stream
  close_events               every open /events stream ends (the connection drops)
  body?path=P&kind=K         P's body replaced until clear: truncated, huge, not_json,
                             wrong_types (an address or a node id as a number), or one of
                             ../lib/hostile_bodies.py (bad_utf8, deep, endless, slow, silent)
  events?kind=K              /events streams opened from now on (until clear) send K:
                             endless (1 GiB with no line end), garbage (lines that are not
                             JSON, one every 10 ms)
  peers?kind=K               /swarm/peers answers K until clear: endless, slow, silent (a long
                             poll that never ends), bad_utf8, deep, wrong_types
  wake                       the held /swarm/peers long polls answer now
  clear                      bodies, event kinds and pushed routes back to normal
stats adds "events_open" (streams open now) and "since" (the since= values seen, in order).
"""
import copy
import json
import os
import threading
import time

import hostile_bodies
from fake_api import Response

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures", "swarm-20.10")
SERVICE = "lab_pause"
HUGE_BYTES = 20 << 20

MESSAGES = {
    "worker": "This node is not a swarm manager. Worker nodes can't be used to view or modify "
              "cluster state. Please run this command on a manager node or promote the current "
              "node to a manager.",
    "inactive": "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm "
                "join\" to connect this node to swarm and try again.",
    "preparing": "This node is not a swarm manager. Manager is being prepared or has trouble "
                 "connecting to the cluster.",
    "locked": "Swarm is encrypted and needs to be unlocked before it can be used. Please use "
              "\"docker swarm unlock\" to unlock it.",
}


def load(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
        return json.load(f)


def vtuple(text):
    major, minor = text.split(".")
    return int(major), int(minor)


class Scenario:
    def __init__(self, fixtures, options):
        self.lock = threading.Lock()
        self.role = options.get("role", "manager")
        self.node_addr = options.get("node_addr")
        self.manager_addr = options.get("manager_addr")
        self.mode = "active"
        self.api_min, self.api_max = "1.12", "1.41"
        self.tasks = load("tasks.json")
        self.nodes = load("nodes.json")
        self.bodies = {}
        self.events_kind = None
        self.self_by_source = options.get("self_by_source") == "1"
        self.workers = set(filter(None, options.get("workers_by_source", "").split("+")))
        self.peers_kind = None
        self.wake_gen = 0
        self.streams = []      # one list (queue of lines) per open /events stream
        self.close_gen = 0
        self.since = []

    # ---- answers -------------------------------------------------------------------------

    def role_of(self, client):
        return "worker" if client in self.workers else self.role

    def info(self, client):
        doc = load("info-manager.json" if self.role_of(client) == "manager" else "info-worker.json")
        sw = doc["Swarm"]
        me = next((n for n in self.nodes if self.self_by_source and
                   n["Status"].get("Addr") == client), None)
        if me is not None:
            doc["Name"] = me["Description"]["Hostname"]
            sw["NodeID"], sw["NodeAddr"] = me["ID"], client
        if self.mode in ("inactive", "pending", "locked"):
            sw["LocalNodeState"] = self.mode
        if self.mode == "inactive":
            sw["NodeID"], sw["NodeAddr"], sw["RemoteManagers"] = "", "", None
            sw["ControlAvailable"] = False
        if self.node_addr:
            sw["NodeAddr"] = self.node_addr
        if self.manager_addr:
            sw["RemoteManagers"] = [{"NodeID": "m", "Addr": self.manager_addr}]
        return doc

    def manager_only(self, client):
        if self.role_of(client) != "manager":
            return MESSAGES["worker"]
        if self.mode in ("preparing", "locked", "inactive"):
            return MESSAGES[self.mode]
        return None

    def hostile_events(self, kind, gen):
        """An event stream of kind K (events?kind=K) until close_events."""
        if kind == "endless":
            yield from hostile_bodies.endless(b'{"Type":"node","Action":"update","Actor":{"ID":"')
            return
        while True:
            with self.lock:
                if self.close_gen != gen:
                    return
            yield {"chunk": "<html>502 Bad Gateway</html>\n", "delay_ms": 10}

    def events(self):
        with self.lock:
            kind, gen = self.events_kind, self.close_gen
        if kind:
            yield from self.hostile_events(kind, gen)
            return
        queue = []
        with self.lock:
            self.streams.append(queue)
            gen = self.close_gen
        try:
            while True:
                with self.lock:
                    closed = self.close_gen != gen
                    lines, queue[:] = list(queue), []
                for line in lines:
                    yield {"chunk": line}
                if closed:
                    return  # the stream ends (its last chunk), as an engine that stops
                yield {"delay_ms": 20}
        finally:
            with self.lock:
                if queue in self.streams:
                    self.streams.remove(queue)

    def peerset(self, req):
        """/swarm/peers as a manager's keepvip serves it, or hostile (peers?kind=K)."""
        with self.lock:
            peers = sorted(n["Status"]["Addr"] for n in self.nodes)
            kind, gen = self.peers_kind, self.wake_gen
        doc = {"version": "%016x" % (hash(tuple(peers)) & (2**64 - 1)), "peers": peers}
        good = json.dumps(doc).encode()
        if kind == "wrong_types":
            return Response(200, json.dumps({"version": doc["version"], "peers": [167903245]}))
        if kind in hostile_bodies.SPOILED:
            return Response(200, hostile_bodies.spoil(kind, good))
        if kind in hostile_bodies.STREAMED:
            return Response(200, stream=hostile_bodies.stream_steps(kind, good, b'{"version":"'))
        if req.query.get("version") == doc["version"]:
            deadline = time.monotonic() + min(float(req.query.get("wait") or 0), 120)
            while time.monotonic() < deadline:
                with self.lock:
                    if self.wake_gen != gen:
                        break
                time.sleep(0.05)
        return Response(200, good)

    def handle(self, req):
        if req.path == "/swarm/peers":
            return self.peerset(req)
        with self.lock:
            kind = self.bodies.get(req.path)
        if kind == "truncated":
            return Response(200, b'[{"ID": "abc", "Status": {"State": "rea')
        if kind == "huge":
            return Response(200, b"[" + b" " * HUGE_BYTES + b"]")
        if kind == "not_json":
            return Response(200, b"<html>proxy error</html>", ctype="text/html")
        resp = self.answer(req)
        if kind == "wrong_types" and resp is not None:
            doc = json.loads(resp.body)
            for item in doc if isinstance(doc, list) else [doc]:
                if "NodeID" in item:
                    item["NodeID"] = 42
                if "Addr" in item.get("Status", {}):
                    item["Status"]["Addr"] = 167903245
            resp.body = json.dumps(doc).encode()
        elif kind in hostile_bodies.STREAMED and resp is not None:
            return Response(200, stream=hostile_bodies.stream_steps(kind, resp.body, b"["))
        elif kind in hostile_bodies.SPOILED and resp is not None:
            resp.body = hostile_bodies.spoil(kind, resp.body)
        return resp

    def answer(self, req):
        path = req.path
        if path == "/version":
            doc = load("version.json")
            doc["ApiVersion"], doc["MinAPIVersion"] = self.api_max, self.api_min
            return Response.json(200, doc)
        if not path.startswith("/v"):
            path = "/v" + self.api_max + path  # unversioned: the engine's newest
        version, _, rest = path[2:].partition("/")
        try:
            v = vtuple(version)
        except ValueError:
            return Response.json(400, {"message": "bad version " + version})
        if v > vtuple(self.api_max):
            return Response.json(400, {"message": "client version %s is too new. Maximum "
                                       "supported API version is %s" % (version, self.api_max)})
        if v < vtuple(self.api_min):
            return Response.json(400, {"message": "client version %s is too old. Minimum "
                                       "supported API version is %s, please upgrade your client "
                                       "to a newer version" % (version, self.api_min)})
        rest = "/" + rest
        if rest == "/info":
            return Response.json(200, self.info(req.client))
        if rest == "/events":
            if "since" in req.query:
                with self.lock:
                    self.since.append(req.query["since"])
            return Response(200, stream=self.events())
        if rest.startswith("/containers/"):
            return Response.json(200, load("container.json"))
        if rest in ("/tasks", "/nodes"):
            refused = self.manager_only(req.client)
            if refused:
                return Response.json(503, {"message": refused})
            if rest == "/nodes":
                with self.lock:
                    return Response.json(200, self.nodes)
            filters = json.loads(req.query.get("filters", "{}"))
            if filters.get("service", [SERVICE]) != [SERVICE]:
                return Response.json(404, {"message": "service %s not found" % filters["service"][0]})
            with self.lock:
                return Response.json(200, self.tasks)
        return None

    # ---- controls ------------------------------------------------------------------------

    def control(self, what, q):
        with self.lock:
            if what == "mode":
                self.mode = q["m"]
            elif what == "api":
                self.api_min, self.api_max = q.get("min", self.api_min), q.get("max", self.api_max)
            elif what == "task":
                for t in self.tasks:
                    if t["NodeID"] == q["node"]:
                        t["Status"]["State"] = q["state"]
            elif what == "node":
                for n in self.nodes:
                    if n["ID"] == q["id"]:
                        n["Status"]["State"] = q["state"]
            elif what == "event":
                now = time.time_ns()
                line = json.dumps({"Type": q["type"], "Action": q["action"],
                                   "Actor": {"ID": q.get("id", "x"), "Attributes": {"name": q.get("name", "node3")}},
                                   "scope": "swarm", "time": now // 10**9, "timeNano": now}) + "\n"
                for s in self.streams:
                    s.append(line)
            elif what == "close_events":
                self.close_gen += 1
            elif what == "body":
                self.bodies[q["path"]] = q["kind"]
            elif what == "peers":
                self.peers_kind = q["kind"]
            elif what == "wake":
                self.wake_gen += 1
            elif what == "events":
                self.events_kind = q["kind"]
            elif what == "clear":
                self.bodies.clear()
                self.events_kind = None
                self.peers_kind = None
            else:
                return None
        return {"ok": True}

    def extra_stats(self):
        with self.lock:
            return {"events_open": len(self.streams), "since": list(self.since)}
