#!/usr/bin/env python3
"""test_k8s_peers.py - `keepvip peers` with the kubernetes adapter against the fake API server
(lib/fake_api.py, scenarios/kubernetes.py) over HTTPS, answering as a real cluster does: lists
in pages of two, dual-stack pods, evicted, pending, completed and foreign pods. The JSON
printed must be exactly the peers of issue 9 point 2 (self included), and the token must not
appear in anything keepvip prints.

Usage: test_k8s_peers.py KEEPVIP_BINARY
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "lib", "fake_api.py")
SCENARIO = os.path.join(HERE, "scenarios", "kubernetes.py")
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "fixtures"))
KEEPVIP = None
TOKEN = "eyJhbGciOiJSUzI1NiJ9.peers-test-token.c2lnbmF0dXJl"


class Cluster:
    def __init__(self, lists):
        self.dir = tempfile.TemporaryDirectory()
        opts = ["--opt", "lists=" + lists, "--opt", "max_page=2", "--opt", "token=" + TOKEN,
                "--opt", "nodes=kubernetes/node-a-priority.json+kubernetes/node-b-plain.json"]
        self.proc = subprocess.Popen(
            [sys.executable, FAKE, "--scenario", SCENARIO, "--fixtures", SHARED,
             "--tls-dir", os.path.join(self.dir.name, "tls")] + opts,
            stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline())
        with open(os.path.join(self.dir.name, "token"), "w", encoding="utf-8") as f:
            f.write(TOKEN + "\n")
        with open(os.path.join(self.dir.name, "namespace"), "w", encoding="utf-8") as f:
            f.write("keepvip-system\n")

    def peers(self, vip, pod="keepvip-8qcr6", node="node-a"):
        env = {"PATH": "/usr/bin:/bin", "KUBERNETES_SERVICE_HOST": "127.0.0.1",
               "KUBERNETES_SERVICE_PORT": str(self.port), "POD_NAME": pod, "NODE_NAME": node,
               "KEEPVIP_K8S_TOKEN_FILE": os.path.join(self.dir.name, "token"),
               "KEEPVIP_K8S_CA_FILE": os.path.join(self.dir.name, "tls", "ca.pem"),
               "KEEPVIP_VIPS": vip, "KEEPVIP_PRIORITY": "100"}
        for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if var in os.environ:
                env[var] = os.environ[var]
        return subprocess.run([KEEPVIP, "peers"], env=env, capture_output=True, text=True,
                              timeout=60, check=False)

    def close(self):
        self.proc.stdout.close()
        self.proc.terminate()
        self.proc.wait()
        self.dir.cleanup()


class PeersTests(unittest.TestCase):
    def check(self, lists, vip, want, **who):
        cluster = Cluster(lists)
        try:
            out = cluster.peers(vip, **who)
        finally:
            cluster.close()
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertNotIn(TOKEN, out.stdout + out.stderr)
        self.assertEqual(out.stdout.strip(), json.dumps(want, separators=(",", ":")))

    def test_paginated(self):
        """page 1 and 2 of a list (the terminating pod 10.42.0.13 is not a peer), in pages of
        two; node-a's annotation gives the priority"""
        self.check("kubernetes/pods-list-page1.json+kubernetes/pods-list-page2.json",
                   "10.42.0.100/24",
                   {"adapter": "kubernetes", "self": "10.42.0.11",
                    "peers": ["10.42.0.12", "10.42.0.14"],
                    "settings": {"KEEPVIP_PRIORITY": "200"}})

    def test_dual_stack_ipv4(self):
        self.check("kubernetes/pods-list-dual-stack.json", "10.42.0.100/24",
                   {"adapter": "kubernetes", "self": "10.42.0.11",
                    "peers": ["10.42.0.12", "10.42.0.14"],
                    "settings": {"KEEPVIP_PRIORITY": "200"}})

    def test_dual_stack_ipv6(self):
        """node-b has no annotation: no priority from the adapter"""
        self.check("kubernetes/pods-list-dual-stack.json", "fd00:42::100/64",
                   {"adapter": "kubernetes", "self": "fd00:42::12",
                    "peers": ["fd00:42::11", "fd00:42::13"], "settings": {}},
                   pod="keepvip-lm5b2", node="node-b")

    def test_evicted_pending_completed(self):
        """evicted (Failed) and Succeeded pods are out, a Pending pod with its IP and an
        Unknown one are in, a Pending pod without IP and another app's pod are out"""
        self.check("kubernetes/pods-list-evicted-pending.json", "10.42.0.100/24",
                   {"adapter": "kubernetes", "self": "10.42.0.11",
                    "peers": ["10.42.0.12", "10.42.0.13", "10.42.0.15"],
                    "settings": {"KEEPVIP_PRIORITY": "200"}})

    def test_api_refusing_the_token(self):
        cluster = Cluster("kubernetes/pods-list.json")
        try:
            with open(os.path.join(cluster.dir.name, "token"), "w", encoding="utf-8") as f:
                f.write(TOKEN + "-stale\n")
            out = cluster.peers("10.42.0.100/24")
        finally:
            cluster.close()
        self.assertEqual(out.returncode, 1)
        self.assertIn("HTTP 401", out.stderr)
        self.assertNotIn(TOKEN, out.stdout + out.stderr)


if __name__ == "__main__":
    KEEPVIP = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
