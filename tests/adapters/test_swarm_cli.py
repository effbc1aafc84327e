#!/usr/bin/env python3
"""test_swarm_cli.py - what `keepvip check` and `keepvip peers` say when the swarm adapter is
named but the engine cannot serve it (issue: "the socket missing or not in a swarm is a clear
message from keepvip check and keepvip peers, exit 1"), against the fake engine
(scenarios/swarm.py on a unix socket) and a socket that is not there.

Usage: test_swarm_cli.py KEEPVIP_BINARY (run by ctest)."""
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
KEEPVIP = sys.argv[1] if len(sys.argv) > 1 else "keepvip"
SHARED = os.environ.get("KEEPVIP_SHARED_DIR", os.path.join(HERE, "..", "..", "..", "shared"))


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def keepvip(command, docker_host):
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "KEEPVIP_VIPS": "10.99.0.100/24",
           "KEEPVIP_ORCHESTRATOR": "swarm", "DOCKER_HOST": docker_host,
           "KEEPVIP_SWARM_SERVICE": "lab_pause"}
    for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if var in os.environ:
            env[var] = os.environ[var]
    return subprocess.run([KEEPVIP, command], env=env, capture_output=True, text=True,
                          timeout=60, check=False)


class SwarmCliTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="keepvip-swarm-cli.")
        cls.sock = os.path.join(cls.dir, "docker.sock")
        cls.fake = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "lib", "fake_api.py"),
             "--fixtures", os.path.join(SHARED, "fixtures"),
             "--scenario", os.path.join(HERE, "scenarios", "swarm.py"), "--unix", cls.sock],
            stdout=subprocess.PIPE, text=True)
        cls.fake.stdout.readline()  # where it listens: it is ready

    @classmethod
    def tearDownClass(cls):
        cls.fake.terminate()
        cls.fake.wait(timeout=10)

    def control(self, what):
        conn = UnixConnection(self.sock)
        conn.request("GET", "/_control/" + what)
        self.assertEqual(conn.getresponse().status, 200)
        conn.close()

    def test_in_a_swarm_passes(self):
        self.control("mode?m=active")
        result = keepvip("check", "unix://" + self.sock)
        self.assertEqual(result.returncode, 0, result.stderr)
        result = keepvip("peers", "unix://" + self.sock)
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_not_in_a_swarm_exits_1_and_says_so(self):
        self.control("mode?m=inactive")
        try:
            for command in ("check", "peers"):
                with self.subTest(command=command):
                    result = keepvip(command, "unix://" + self.sock)
                    self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
                    self.assertIn("not in a swarm", result.stderr)
        finally:
            self.control("mode?m=active")

    def test_missing_socket_exits_1_and_says_so(self):
        missing = os.path.join(self.dir, "nothing-here.sock")
        for command in ("check", "peers"):
            with self.subTest(command=command):
                result = keepvip(command, "unix://" + missing)
                self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
                self.assertIn("is not there", result.stderr)
                self.assertIn(missing, result.stderr)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
