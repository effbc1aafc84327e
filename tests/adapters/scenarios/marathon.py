"""marathon.py - fake_api.py scenario: a Marathon instance (REST + the SSE event stream).

Answers as ../shared/reference/marathon-api.md describes Marathon 1.4+ (and before, with a
1.3 task list loaded): GET /v2/apps/keepvip/tasks from a task list kept in memory (the shared
fixture marathon/app-tasks.json at start), GET /v2/events as Server-Sent Events with CRLF
lines, event_stream_attached first and a blank-line heartbeat every heartbeat_ms.

Options (--opt NAME=VALUE):
  role=leader (default) | standby | noleader
      standby: the task list is proxied to leader=URL (the request's headers go along), the
      event stream is answered with a 302 to the leader (as Marathon >= 1.8 does);
      noleader: every request is 502 with Jetty's HTML page ("no leader").
  leader=URL            the leader's base URL (standby)
  auth=basic:USER:PASS | token:TOKEN   every request must carry that Authorization (401 else)
  forbid=1              good credentials get 403 (not allowed to read the app)
  heartbeat_ms=N        10000 by default
  all_running=1         every task of the fixture TASK_RUNNING and healthy
  tasks_file=PATH       the task list from this file instead of the shared fixture
Checks as Marathon does: /v2/events without Accept: text/event-stream is 405; the task list
to a client that does not accept application/json is text/plain (host:port lines).

Controls (GET /_control/...):
  kill?host=H           the tasks on host or address H end: TASK_KILLED (removed from the
                        list) with status_update_event + instance_changed_event on the streams
  add?host=H[&ip=A]     a new TASK_RUNNING task on H (address A, default H), with its events
  event?type=T&app=A    an event of type T for app A (default /keepvip) with no task change
  tasks?file=PATH       the task list replaced by the file's (no event)
  silent?on=1|0         the streams stop sending anything (no heartbeat either)
  drop_streams          the open streams are cut
  body?kind=K           the task list answer replaced until clear: truncated, huge, not_json,
                        wrong_types (a task's host a number), or one of
                        ../lib/hostile_bodies.py (bad_utf8, deep, endless, slow, silent)
  stream?kind=K         streams opened from now on (until clear), after event_stream_attached:
                        endless_line (a data line of 1 GiB, never ended), endless_event (data
                        lines of 1 KiB for 1 GiB, never the blank line that ends the event)
  app404?on=1|0         the app does not exist: 404 {"message": "App '/keepvip' does not exist"}
stats adds: streams (opened), streams_open, auth_failures, events_sent, task_reads.
"""
import base64
import copy
import json
import os
import queue
import threading
import time
import urllib.error
import urllib.request
import uuid

import hostile_bodies
from fake_api import Response

APP = "/keepvip"
TASKS_PATH = "/v2/apps/keepvip/tasks"
HUGE_BYTES = 6 << 20
NO_LEADER_PAGE = ("<html><head><title>Error 502 Could not determine the current leader</title>"
                  "</head><body><h2>HTTP ERROR 502</h2></body></html>")


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


class Scenario:
    def __init__(self, fixtures, options):
        self.fixtures = fixtures
        self.role = options.get("role", "leader")
        self.leader = options.get("leader", "").rstrip("/")
        self.auth = options.get("auth", "")
        self.forbid = options.get("forbid") == "1"
        self.heartbeat_s = int(options.get("heartbeat_ms", "10000")) / 1000.0
        path = options.get("tasks_file") or os.path.join(fixtures, "marathon", "app-tasks.json")
        self.tasks = self.load_tasks(path)
        if options.get("all_running") == "1":
            for t in self.tasks:
                t["state"] = "TASK_RUNNING"
                for h in t.get("healthCheckResults", []):
                    h["alive"] = True
        self.lock = threading.Lock()
        self.subscribers = []
        self.silent = False
        self.body_kind = None
        self.stream_kind = None
        self.app404 = False
        self.generation = 0  # bumped by drop_streams
        self.counts = {"streams": 0, "auth_failures": 0, "events_sent": 0, "task_reads": 0}

    @staticmethod
    def load_tasks(path):
        with open(path, encoding="utf-8") as f:
            return json.load(f)["tasks"]

    # ---- stats, controls --------------------------------------------------------------

    def extra_stats(self):
        with self.lock:
            return dict(self.counts, streams_open=len(self.subscribers))

    def reset_stats(self):
        with self.lock:
            for k in self.counts:
                self.counts[k] = 0

    def emit(self, etype, data):
        data = dict(data, eventType=etype, timestamp=now())
        text = "event: %s\r\ndata: %s\r\n\r\n" % (etype, json.dumps(data, separators=(",", ":")))
        with self.lock:
            for q in self.subscribers:
                q.put(text)

    def task_events(self, task, status, condition):
        self.emit("status_update_event", {
            "slaveId": task.get("slaveId", "S0"), "taskId": task["id"], "taskStatus": status,
            "message": "", "appId": APP, "host": task["host"],
            "ipAddresses": task.get("ipAddresses", []), "ports": [],
            "version": task.get("version", "")})
        self.emit("instance_changed_event", {
            "instanceId": task["id"].split("._app")[0], "condition": condition,
            "runSpecId": APP, "agentId": task.get("slaveId", "S0"), "host": task["host"],
            "runSpecVersion": task.get("version", "")})

    def control(self, what, q):
        if what == "kill":
            h = q.get("host", "")
            with self.lock:
                gone = [t for t in self.tasks if t.get("host") == h or
                        any(a.get("ipAddress") == h for a in t.get("ipAddresses") or [])]
                self.tasks = [t for t in self.tasks if t not in gone]
            for t in gone:
                self.task_events(t, "TASK_KILLED", "Killed")
            return {"ok": True, "killed": len(gone)}
        if what == "add":
            h = q.get("host", "")
            ip = q.get("ip", h)
            task = {
                "id": "keepvip.instance-%s._app.1" % uuid.uuid4(), "appId": APP, "host": h,
                "ipAddresses": [{"ipAddress": ip, "protocol": "IPv6" if ":" in ip else "IPv4"}],
                "ports": [], "servicePorts": [], "slaveId": "S-" + h, "state": "TASK_RUNNING",
                "stagedAt": now(), "startedAt": now(), "version": "2024-05-02T09:30:00.512Z"}
            with self.lock:
                self.tasks.append(task)
            self.task_events(task, "TASK_RUNNING", "Running")
            return {"ok": True, "id": task["id"]}
        if what == "event":
            self.emit(q.get("type", "status_update_event"),
                      {"appId": q.get("app", APP), "runSpecId": q.get("app", APP)})
            return {"ok": True}
        if what == "tasks":
            with self.lock:
                self.tasks = self.load_tasks(q["file"])
            return {"ok": True}
        if what == "silent":
            self.silent = q.get("on", "1") == "1"
            return {"ok": True}
        if what == "drop_streams":
            with self.lock:
                self.generation += 1
                for s in self.subscribers:
                    s.put(None)
            return {"ok": True}
        if what == "body":
            self.body_kind = q.get("kind")
            return {"ok": True}
        if what == "stream":
            self.stream_kind = q.get("kind")
            return {"ok": True}
        if what == "app404":
            self.app404 = q.get("on", "1") == "1"
            return {"ok": True}
        if what == "clear":
            self.body_kind = None
            self.stream_kind = None
            self.app404 = False
            self.silent = False
            return {"ok": True}
        return None

    # ---- requests -----------------------------------------------------------------------

    def authorized(self, req):
        if not self.auth:
            return True
        kind, _, rest = self.auth.partition(":")
        if kind == "basic":
            want = "Basic " + base64.b64encode(rest.encode()).decode()
        else:
            want = "token=" + rest
        ok = req.headers.get("Authorization") == want
        if not ok:
            with self.lock:
                self.counts["auth_failures"] += 1
        return ok

    def handle(self, req):
        if self.role == "noleader":
            return Response(502, NO_LEADER_PAGE, ctype="text/html;charset=iso-8859-1")
        if req.path == "/v2/events":
            return self.events(req)
        if req.path.startswith("/v2/apps/"):
            return self.tasks_answer(req)
        return None

    def tasks_answer(self, req):
        if self.role == "standby":
            return self.proxy(req)
        if not self.authorized(req):
            return Response.json(401, {"message": "Invalid username or password."})
        if self.forbid:
            return Response.json(403, {"message": "Not Authorized to perform this action!"})
        if req.path != TASKS_PATH or self.app404:
            return Response.json(404, {"message": "App '%s' does not exist" % APP})
        with self.lock:
            self.counts["task_reads"] += 1
            tasks = copy.deepcopy(self.tasks)
        if "application/json" not in req.headers.get("Accept", ""):
            lines = ["%s\t%s" % (t["host"], "") for t in tasks]
            return Response(200, "keepvip\t\t" + " ".join(lines) + "\n", ctype="text/plain")
        body = (json.dumps({"tasks": tasks}, indent=1) + "\n").encode()
        if self.body_kind == "truncated":
            body = body[: len(body) // 2]
        elif self.body_kind == "huge":
            body = b'{"padding":"' + b"x" * HUGE_BYTES + b'",' + body[1:]
        elif self.body_kind == "not_json":
            body = NO_LEADER_PAGE.encode()
        elif self.body_kind == "wrong_types":
            tasks[0]["host"] = 167903245
            body = json.dumps({"tasks": tasks}).encode()
        elif self.body_kind in hostile_bodies.SPOILED:
            body = hostile_bodies.spoil(self.body_kind, body)
        elif self.body_kind in hostile_bodies.STREAMED:
            return Response(200, stream=hostile_bodies.stream_steps(self.body_kind, body))
        return Response(200, body, headers={"X-Marathon-Leader": "http://leader:8080"})

    def proxy(self, req):
        headers = {k: v for k, v in req.headers.items()
                   if k.lower() in ("accept", "authorization")}
        r = urllib.request.Request(self.leader + req.path, headers=headers)
        try:
            with urllib.request.urlopen(r, timeout=5) as resp:
                return Response(resp.status, resp.read(), ctype=resp.headers.get("Content-Type"))
        except urllib.error.HTTPError as e:
            return Response(e.code, e.read(), ctype=e.headers.get("Content-Type"))

    def events(self, req):
        if self.role == "standby":
            return Response(302, b"", headers={"Location": self.leader + "/v2/events" + (
                "?" + "&".join("event_type=" + v for v in req.query.values())
                if req.query else "")})
        if "text/event-stream" not in req.headers.get("Accept", ""):
            return Response(405, "<html>HTTP ERROR 405</html>", ctype="text/html")
        if not self.authorized(req):
            return Response.json(401, {"message": "Invalid username or password."})
        if self.forbid:
            return Response.json(403, {"message": "Not Authorized to perform this action!"})
        q = queue.Queue()
        with self.lock:
            self.counts["streams"] += 1
            self.subscribers.append(q)
        steps = self.stream_steps(q, req.client)
        if self.stream_kind:
            steps = self.hostile_stream(steps, self.stream_kind)
        return Response(200, stream=steps, ctype="text/event-stream")

    @staticmethod
    def hostile_stream(steps, kind):
        """event_stream_attached, then an event that never ends."""
        yield next(steps)
        steps.close()
        if kind == "endless_line":
            yield from hostile_bodies.endless(b"event: deployment_info\r\ndata: ")
            return
        line = b"data: " + b"x" * 1016 + b"\r\n"
        piece = line * 64
        yield {"chunk": b"event: deployment_info\r\n"}
        for _ in range(hostile_bodies.ENDLESS_BYTES // len(piece)):
            yield {"chunk": piece}

    def stream_steps(self, q, client):
        try:
            attached = {"remoteAddress": client, "eventType": "event_stream_attached",
                        "timestamp": now()}
            yield {"chunk": "event: event_stream_attached\r\ndata: %s\r\n\r\n" %
                   json.dumps(attached, separators=(",", ":"))}
            next_beat = time.monotonic() + self.heartbeat_s
            while True:
                try:
                    text = q.get(timeout=max(0.0, next_beat - time.monotonic()))
                except queue.Empty:
                    text = ""
                if text is None:
                    yield {"close": True}
                    return
                if text == "":
                    next_beat = time.monotonic() + self.heartbeat_s
                    if self.silent:
                        continue
                    text = "\r\n"  # the heartbeat: a blank line
                elif self.silent:
                    continue
                else:
                    with self.lock:
                        self.counts["events_sent"] += 1
                yield {"chunk": text}
        finally:
            with self.lock:
                if q in self.subscribers:
                    self.subscribers.remove(q)
