"""kubernetes.py - fake_api.py scenario: a Kubernetes API server as the keepvip adapter uses it
(../shared/reference/kubernetes-api.md): our pod, the pod list (limit/continue pages), the pod
watch from a resourceVersion (bookmarks, 410 as a status and as an ERROR event), our Node and
its watch, bearer tokens, 401/403/429/5xx with Status bodies.

Options (--opt NAME=VALUE):
  lists=F1+F2     pod lists to start from (their items, in order; the last list's RV), each
                  relative to tests/adapters/fixtures (kubernetes/...) or to shared/fixtures;
                  default kubernetes/pods-list.json
  nodes=F1+F2     Node objects served by name (tests/adapters/fixtures/kubernetes/...)
  namespace=NS    default keepvip-system
  token=T         the bearer token accepted (default: shared serviceaccount/token)
  max_page=N      at most N items a page, whatever limit asks (servers may return fewer)

Controls (GET /_control/...):
  add?name=&ip=[&ip2=][&phase=Running][&like=POD]   ADDED (MODIFIED when it exists)
  delete?name=          DELETED          terminate?name=   MODIFIED with deletionTimestamp
  annotate?node=&value= the node's keepvip.io/priority (no value: removed); MODIFIED
  bookmark              a BOOKMARK to open pod watches (RV moves on)
  close_watches         open watches end cleanly (as timeoutSeconds does)
  expire                open pod watches get an ERROR 410 Expired event
  compact               history dropped: a watch from an older RV gets HTTP 410; closes watches
  token?value=T         the token accepted from now on (the old one gets 401)
  fail?kind=K&status=S[&times=N][&retry_after=R]  the next N requests of kind K (own_pod,
                        list, watch, node, node_watch) answer S with a Status body
  body?kind=K           the pod list answers K: huge, truncated, wrong_types, or one of
                        ../lib/hostile_bodies.py (not_json, bad_utf8, deep, endless, slow,
                        silent); the pod watch K=huge_event (one line over 1 MiB), bad_event
                        (wrong types), watch_endless (1 GiB with no line end), watch_garbage
                        (lines that are not JSON, forever), watch_bookmarks (a BOOKMARK every
                        100 ms, timeoutSeconds ignored), watch_silent (nothing, never ending);
                        the streams that never end stop at close_watches
  clear                 fail and body injections removed
stats adds: sent (monotonic times of pod events written), log ([t, path, query] per request),
lists, watches.
"""
import base64
import copy
import json
import os
import threading
import time

import hostile_bodies
from fake_api import Response

HERE = os.path.dirname(os.path.abspath(__file__))
TEST_FIXTURES = os.path.normpath(os.path.join(HERE, "..", "fixtures"))
ANNOTATION = "keepvip.io/priority"


def status(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


def selector_matches(sel, labels):
    for req in filter(None, (r.strip() for r in (sel or "").split(","))):
        if "!=" in req:
            k, v = req.split("!=", 1)
            if labels.get(k.strip()) == v.strip():
                return False
        elif "=" in req:
            k, v = req.replace("==", "=").split("=", 1)
            if labels.get(k.strip()) != v.strip():
                return False
        elif req.startswith("!"):
            if req[1:] in labels:
                return False
        elif " " not in req and req not in labels:
            return False
    return True


class Scenario:
    def __init__(self, fixtures, options):
        self.fixtures = fixtures
        self.ns = options.get("namespace", "keepvip-system")
        self.token = options.get("token") or self.read("kubernetes/serviceaccount/token").decode().strip()
        self.max_page = int(options.get("max_page", "0"))
        self.cond = threading.Condition()
        self.pods = {}
        self.rv = 1000
        for name in options.get("lists", "kubernetes/pods-list.json").split("+"):
            doc = json.loads(self.read(name))
            for pod in doc["items"]:
                self.pods[pod["metadata"]["name"]] = pod
            self.rv = max(self.rv, int(doc["metadata"]["resourceVersion"]))
        self.nodes = {}
        for name in filter(None, options.get("nodes", "").split("+")):
            node = json.loads(self.read(name))
            self.nodes[node["metadata"]["name"]] = node
        self.history = []          # [(rv, event)], pods
        self.node_history = []     # [(rv, event)]
        self.oldest = self.rv      # a watch from an RV older than this: 410
        self.gen = self.expire_gen = 0
        self.fails = []
        self.body_kind = None
        self.sent, self.log = [], []
        self.lists = self.watches = 0

    def read(self, name):
        for base in (TEST_FIXTURES, self.fixtures):
            path = os.path.join(base, name)
            if os.path.exists(path):
                with open(path, "rb") as f:
                    return f.read()
        raise FileNotFoundError(name)

    # ---- state changes (under cond) ----

    def next_rv(self):
        self.rv += 1
        return str(self.rv)

    def pod_event(self, kind, pod):
        pod["metadata"]["resourceVersion"] = self.next_rv()
        obj = dict(pod, kind="Pod", apiVersion="v1")
        self.history.append((self.rv, {"type": kind, "object": obj}))
        self.cond.notify_all()

    def node_event(self, kind, node):
        node["metadata"]["resourceVersion"] = self.next_rv()
        self.node_history.append((self.rv, {"type": kind, "object": node}))
        self.cond.notify_all()

    # ---- requests ----

    def take_fail(self, kind):
        with self.cond:
            for f in self.fails:
                if f["kind"] == kind and f["times"] > 0:
                    f["times"] -= 1
                    headers = {"Retry-After": f["retry_after"]} if f["retry_after"] else None
                    code = f["status"]
                    reason = {401: "Unauthorized", 403: "Forbidden", 410: "Expired",
                              429: "TooManyRequests"}.get(code, "InternalError")
                    msg = ('pods is forbidden: User "system:serviceaccount:%s:keepvip" cannot '
                           'list resource "pods" in API group "" in the namespace "%s"'
                           % (self.ns, self.ns)) if code == 403 else reason
                    return Response.json(code, status(code, reason, msg), headers)
        return None

    def handle(self, req):
        self.log.append([time.monotonic(), req.path, dict(req.query)])
        if req.headers.get("Authorization") != "Bearer " + self.token:
            return Response.json(401, status(401, "Unauthorized", "Unauthorized"))
        pods = "/api/v1/namespaces/%s/pods" % self.ns
        if req.path == pods:
            watch = req.query.get("watch") in ("1", "true")
            return self.take_fail("watch" if watch else "list") or (
                self.pod_watch(req) if watch else self.pod_list(req))
        if req.path.startswith(pods + "/"):
            return self.take_fail("own_pod") or self.own_pod(req.path[len(pods) + 1:])
        if req.path == "/api/v1/nodes" and req.query.get("watch") in ("1", "true"):
            return self.take_fail("node_watch") or self.node_watch(req)
        if req.path.startswith("/api/v1/nodes/"):
            return self.take_fail("node") or self.node_get(req.path[len("/api/v1/nodes/"):])
        return Response.json(404, status(404, "NotFound", "the server could not find it"))

    def own_pod(self, name):
        with self.cond:
            pod = self.pods.get(name)
            if pod is None:
                return Response.json(404, status(404, "NotFound", 'pods "%s" not found' % name))
            return Response.json(200, dict(pod, kind="Pod", apiVersion="v1"))

    def pod_list(self, req):
        self.lists += 1
        sel = req.query.get("labelSelector", "")
        limit = int(req.query.get("limit", "0") or 0)
        if self.max_page and (limit == 0 or limit > self.max_page):
            limit = self.max_page
        with self.cond:
            start, rv = 0, str(self.rv)
            if req.query.get("continue"):
                token = json.loads(base64.b64decode(req.query["continue"]))
                if int(token["rv"]) < self.oldest:
                    return Response.json(410, status(410, "Expired", "continue token expired"))
                start, rv = token["o"], token["rv"]
            items = [copy.deepcopy(p) for p in self.pods.values()
                     if selector_matches(sel, p["metadata"].get("labels", {}))]
            page = items[start:start + limit] if limit else items[start:]
            meta = {"resourceVersion": rv}
            if limit and start + limit < len(items):
                meta["continue"] = base64.b64encode(json.dumps(
                    {"o": start + limit, "rv": rv}).encode()).decode()
            kind = self.body_kind
        doc = {"kind": "PodList", "apiVersion": "v1", "metadata": meta, "items": page}
        if kind == "huge":
            pad = "x" * 1000
            doc["items"] = page + [{"metadata": {"name": "pad-%d" % i, "labels": {"pad": pad}}}
                                   for i in range(20000)]
        if kind == "wrong_types":
            doc["items"] = [{"metadata": {"name": 42}, "status": {"podIP": ["x"]}}]
        body = json.dumps(doc).encode()
        if kind in hostile_bodies.STREAMED:
            return Response(200, stream=hostile_bodies.stream_steps(kind, body))
        if kind in hostile_bodies.SPOILED:
            body = hostile_bodies.spoil(kind, body)
        return Response(200, body)

    def pod_watch(self, req):
        self.watches += 1
        sel = req.query.get("labelSelector", "")
        since = int(req.query.get("resourceVersion") or 0)
        timeout = float(req.query.get("timeoutSeconds") or 300)
        with self.cond:
            if since and since < self.oldest:
                return Response.json(410, status(410, "Expired",
                                                 "too old resource version: %d (%d)" % (since, self.rv)))
            gen, expire_gen, kind = self.gen, self.expire_gen, self.body_kind
            pos = len([1 for rv, _ in self.history if rv <= since])
        return Response(200, stream=self.pod_stream(sel, pos, gen, expire_gen, timeout, kind))

    def pod_stream(self, sel, pos, gen, expire_gen, timeout, kind):
        deadline = time.monotonic() + timeout
        if kind == "huge_event":
            yield {"chunk": '{"type":"ADDED","object":{"metadata":{"name":"' + "y" * (2 << 20) + '"}}}\n'}
            return
        if kind == "bad_event":
            yield {"chunk": '{"type":"ADDED","object":{"metadata":{"name":7},"status":[]}}\n'}
            return
        if kind and kind.startswith("watch_"):
            yield from self.hostile_watch(kind, gen)
            return
        while True:
            with self.cond:
                while (pos >= len(self.history) and self.gen == gen and
                       self.expire_gen == expire_gen and time.monotonic() < deadline):
                    self.cond.wait(0.05)
                if self.gen != gen or time.monotonic() >= deadline:
                    return
                if self.expire_gen != expire_gen:
                    ev = {"type": "ERROR", "object": status(410, "Expired",
                                                            "too old resource version")}
                    yield {"chunk": json.dumps(ev) + "\n"}
                    return
                events = [e for _, e in self.history[pos:]]
                pos = len(self.history)
            for ev in events:
                labels = ev["object"].get("metadata", {}).get("labels")
                if ev["type"] != "BOOKMARK" and not selector_matches(sel, labels or {}):
                    continue
                if ev["type"] != "BOOKMARK":
                    self.sent.append(time.monotonic())
                yield {"chunk": json.dumps(ev) + "\n"}

    def hostile_watch(self, kind, gen):
        """A pod watch that never ends by itself (until close_watches)."""
        if kind == "watch_endless":
            yield from hostile_bodies.endless(b'{"type":"ADDED","object":{"metadata":{"name":"')
            return
        while True:
            with self.cond:
                if self.gen != gen:
                    return
                rv = str(self.rv)
            if kind == "watch_garbage":
                yield {"chunk": "<html>502 Bad Gateway</html>\n", "delay_ms": 10}
            elif kind == "watch_bookmarks":
                yield {"chunk": json.dumps({"type": "BOOKMARK", "object": {
                    "kind": "Pod", "apiVersion": "v1", "metadata": {"resourceVersion": rv}}}) + "\n",
                    "delay_ms": 100}
            else:
                yield {"delay_ms": 100}

    def node_get(self, name):
        with self.cond:
            node = self.nodes.get(name)
            if node is None:
                return Response.json(404, status(404, "NotFound", 'nodes "%s" not found' % name))
            return Response.json(200, node)

    def node_watch(self, req):
        name = (req.query.get("fieldSelector") or "").partition("metadata.name=")[2]
        since = int(req.query.get("resourceVersion") or 0)
        with self.cond:
            gen = self.gen
            first = [] if since or name not in self.nodes else [
                {"type": "ADDED", "object": copy.deepcopy(self.nodes[name])}]
            pos = len([1 for rv, _ in self.node_history if rv <= since]) if since else len(self.node_history)
        return Response(200, stream=self.node_stream(name, first, pos, gen))

    def node_stream(self, name, first, pos, gen):
        for ev in first:
            yield {"chunk": json.dumps(ev) + "\n"}
        while True:
            with self.cond:
                while pos >= len(self.node_history) and self.gen == gen:
                    self.cond.wait(0.05)
                if self.gen != gen:
                    return
                events = [e for _, e in self.node_history[pos:]]
                pos = len(self.node_history)
            for ev in events:
                if ev["object"]["metadata"]["name"] == name:
                    yield {"chunk": json.dumps(ev) + "\n"}

    # ---- controls ----

    def control(self, what, q):
        with self.cond:
            return self.control_locked(what, q)

    def control_locked(self, what, q):
        if what == "add":
            name = q["name"]
            pod = copy.deepcopy(self.pods.get(name) or self.pods.get(q.get("like", "")) or
                                next(iter(self.pods.values())))
            existed = name in self.pods
            pod["metadata"]["name"] = name
            pod["metadata"].pop("deletionTimestamp", None)
            ips = [ip for ip in (q.get("ip"), q.get("ip2")) if ip]
            pod["status"]["phase"] = q.get("phase", "Running")
            pod["status"]["podIP"] = ips[0] if ips else None
            pod["status"]["podIPs"] = [{"ip": ip} for ip in ips]
            if not ips:
                pod["status"].pop("podIP")
                pod["status"].pop("podIPs")
            self.pods[name] = pod
            self.pod_event("MODIFIED" if existed else "ADDED", copy.deepcopy(pod))
        elif what == "delete":
            pod = self.pods.pop(q["name"])
            self.pod_event("DELETED", pod)
        elif what == "terminate":
            pod = self.pods[q["name"]]
            pod["metadata"]["deletionTimestamp"] = "2024-05-02T10:30:00Z"
            self.pod_event("MODIFIED", copy.deepcopy(pod))
        elif what == "annotate":
            node = self.nodes[q["node"]]
            notes = node["metadata"].setdefault("annotations", {})
            if q.get("value"):
                notes[ANNOTATION] = q["value"]
            else:
                notes.pop(ANNOTATION, None)
            self.node_event("MODIFIED", copy.deepcopy(node))
        elif what == "bookmark":
            self.history.append((self.rv + 1, {"type": "BOOKMARK", "object": {
                "kind": "Pod", "apiVersion": "v1",
                "metadata": {"resourceVersion": self.next_rv()}}}))
            self.cond.notify_all()
        elif what == "close_watches":
            self.gen += 1
            self.cond.notify_all()
        elif what == "expire":
            self.expire_gen += 1
            self.next_rv()
            self.oldest = self.rv
            self.cond.notify_all()
        elif what == "compact":
            self.next_rv()
            self.oldest = self.rv
            self.gen += 1
            self.cond.notify_all()
        elif what == "token":
            self.token = q["value"]
        elif what == "fail":
            self.fails.append({"kind": q["kind"], "status": int(q["status"]),
                               "times": int(q.get("times", "1")),
                               "retry_after": q.get("retry_after")})
        elif what == "body":
            self.body_kind = q["kind"]
        elif what == "clear":
            self.fails, self.body_kind = [], None
        else:
            return None
        return {"ok": True, "rv": str(self.rv)}

    def extra_stats(self):
        with self.cond:
            return {"sent": list(self.sent), "log": list(self.log), "lists": self.lists,
                    "watches": self.watches}
