#!/usr/bin/env python3
"""test_install.py — the plain-host kit, as `cmake --install` lays it out and systemd reads it.

Usage: test_install.py BUILD_DIR [unittest options]

What is checked:
  * `cmake --install BUILD_DIR` (into a DESTDIR) puts keepvip in sbin, keepvip.service in the
    unit directory, keepvip.yml.example in the configuration directory and keepvip(8) in
    man8, at the paths CMake chose (BUILD_DIR/install_paths.txt); the installed keepvip runs;
  * the unit: Type=notify with a watchdog, the installed ExecStart, ExecReload by SIGHUP,
    Restart=on-failure but not on a settings error (exit 2), a stop timeout that leaves room
    for the priority-0 goodbye, only CAP_NET_ADMIN + CAP_NET_RAW, address families that keep
    netlink, packet and raw sockets, the configuration file the example is meant to become;
  * `systemd-analyze verify --root DESTDIR` accepts the unit without a word (and complains
    about a broken copy, so a silent verifier cannot make this pass); no systemd needs to run:
    the root gets the host's own unit files and kill(1), and `man` finds the installed page;
  * `systemd-analyze security --offline` rates the unit's exposure 3.5 or better;
  * the example YAML passes `keepvip check`;
  * keepvip(8): groff renders it without a warning; every setting of the key registry
    (`keepvip help-settings`) is in its SETTINGS section, and every KEEPVIP_ name it mentions
    is a setting (or KEEPVIP_CONFIG); the README lists every core setting in its Settings
    table and names every adapter setting, and mentions no KEEPVIP_ name that is not one;
  * the README's commands work without sudo: no script calls sudo.
Needs: cmake, systemd (systemd-analyze), groff, man-db.
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(REPO, "build")

# KEEPVIP_ names that are not settings: the settings file's env, CMake options, the demo's
# binary override, the swarm stack file's image variable.
NOT_SETTINGS = {"KEEPVIP_CONFIG", "KEEPVIP_BIN", "KEEPVIP_SANITIZE", "KEEPVIP_FUZZ",
                "KEEPVIP_BUILD_TESTS", "KEEPVIP_SYSTEMD_UNITDIR", "KEEPVIP_IMAGE"}
ENV_NAME = re.compile(r"KEEPVIP_[A-Z0-9_]*[A-Z0-9]")


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


def install_paths():
    """The paths CMake chose: NAME=VALUE lines written at configure time."""
    with open(os.path.join(BUILD, "install_paths.txt"), encoding="utf-8") as f:
        return dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)


def help_settings():
    out = run([os.path.join(BUILD, "keepvip"), "help-settings"])
    assert out.returncode == 0, out.stderr
    return out.stdout


def registry(aliases=None):
    """The key registry as `keepvip help-settings` prints it: {env: section}; aliases (a dict)
    gets {env: alias} for the keys that have one."""
    keys, section, env = {}, None, None
    for line in help_settings().splitlines():
        if line and not line.startswith(" "):
            section = line
        elif re.match(r"^  KEEPVIP_\S+$", line):
            env = line.strip()
            keys[env] = section
        elif aliases is not None and line.startswith("      alias "):
            aliases[env] = line.split()[1].rstrip(",")
    return keys


def unit_settings(path):
    """The unit file as {section: {key: [values...]}} (keys may repeat)."""
    units, section = {}, None
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = units.setdefault(line.strip("[]"), {})
                continue
            key, _, value = line.partition("=")
            section.setdefault(key, []).append(value)
    return units


class Installed(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.paths = install_paths()
        cls.root = tempfile.mkdtemp(prefix="keepvip-install-")
        env = dict(os.environ, DESTDIR=cls.root)
        out = run(["cmake", "--install", BUILD], env=env)
        if out.returncode != 0:
            raise AssertionError("cmake --install failed: " + out.stdout + out.stderr)
        cls.sbin = cls.root + cls.paths["SBINDIR"] + "/keepvip"
        cls.unit = cls.root + cls.paths["UNITDIR"] + "/keepvip.service"
        cls.example = cls.root + cls.paths["CONFIG_DIR"] + "/keepvip.yml.example"
        cls.man = cls.root + cls.paths["MANDIR"] + "/man8/keepvip.8"

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)

    def test_files_in_place(self):
        for path in (self.sbin, self.unit, self.example, self.man):
            self.assertTrue(os.path.isfile(path), path + " not installed")
        self.assertTrue(os.access(self.sbin, os.X_OK))
        out = run([self.sbin, "version"])
        self.assertEqual(out.returncode, 0)
        self.assertRegex(out.stdout, r"^keepvip \d+\.\d+\.\d+")

    def test_unit_shape(self):
        svc = unit_settings(self.unit)["Service"]
        one = lambda key: svc.get(key, [None])[-1]  # noqa: E731
        self.assertEqual(one("Type"), "notify")
        self.assertEqual(one("ExecStart"), self.paths["SBINDIR"] + "/keepvip run")
        self.assertRegex(one("ExecReload"), r"^(/usr)?(/bin/)?kill -HUP \$MAINPID$")
        self.assertEqual(one("Restart"), "on-failure")
        self.assertIn("2", one("RestartPreventExitStatus").split())
        self.assertRegex(one("WatchdogSec"), r"^\d+s$")
        self.assertGreaterEqual(int(one("TimeoutStopSec").rstrip("s")), 3)
        caps = {"CAP_NET_ADMIN", "CAP_NET_RAW"}
        self.assertEqual(set(one("CapabilityBoundingSet").split()), caps)
        self.assertEqual(set(one("AmbientCapabilities").split()), caps)
        families = set(one("RestrictAddressFamilies").split())
        self.assertTrue({"AF_NETLINK", "AF_PACKET", "AF_INET", "AF_INET6", "AF_UNIX"} <= families)
        self.assertEqual(one("NoNewPrivileges"), "yes")
        self.assertIn("KEEPVIP_CONFIG=" + self.paths["CONFIG_DIR"] + "/keepvip.yml",
                      svc["Environment"])
        self.assertEqual(unit_settings(self.unit)["Install"]["WantedBy"], ["multi-user.target"])

    def verify(self, unit_path):
        """systemd-analyze verify inside the DESTDIR root: (exit status, everything it said)."""
        units = os.path.join(self.root, "usr/lib/systemd/system")
        if not os.path.isdir(units):
            shutil.copytree("/usr/lib/systemd/system", units, symlinks=True)
        kill = os.path.join(self.root, "usr/bin/kill")
        if not os.path.exists(kill):
            os.makedirs(os.path.dirname(kill), exist_ok=True)
            shutil.copy2(shutil.which("kill") or "/usr/bin/kill", kill)
        env = dict(os.environ, MANPATH=self.root + self.paths["MANDIR"], SYSTEMD_PAGER="",
                   SYSTEMD_LOG_COLOR="0")
        out = run(["systemd-analyze", "verify", "--root=" + self.root,
                   unit_path[len(self.root):]], env=env, cwd=self.root)
        return out.returncode, (out.stdout + out.stderr).strip()

    def test_systemd_analyze_verify(self):
        self.assertIsNotNone(shutil.which("systemd-analyze"), "systemd-analyze missing")
        rc, said = self.verify(self.unit)
        self.assertEqual((rc, said), (0, ""), "systemd-analyze verify: " + said)
        # The verifier must be able to say no: a typo and a missing program.
        broken = os.path.join(os.path.dirname(self.unit), "keepvip-broken.service")
        with open(self.unit, encoding="utf-8") as f:
            text = f.read()
        with open(broken, "w", encoding="utf-8") as f:
            f.write(text.replace("Type=notify", "Type=notfy")
                    .replace("/keepvip run", "/keepvip-missing run"))
        try:
            rc, said = self.verify(broken)
        finally:
            os.remove(broken)
        self.assertIn("notfy", said)
        self.assertIn("keepvip-missing", said)
        self.assertNotEqual(rc, 0)

    def test_systemd_security_exposure(self):
        out = run(["systemd-analyze", "security", "--offline=true", "--no-pager",
                   "--root=" + self.root, self.unit[len(self.root):]],
                  env=dict(os.environ, SYSTEMD_COLORS="0"))
        m = re.search(r"Overall exposure level for keepvip\.service: (\d+\.\d+)", out.stdout)
        self.assertIsNotNone(m, out.stdout[-500:] + out.stderr)
        self.assertLessEqual(float(m.group(1)), 3.5, out.stdout)

    def test_example_yaml_checks(self):
        out = run([self.sbin, "check", "--config", self.example],
                  env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("vrid: 51", out.stdout)


class ManPage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keys = registry()
        with open(os.path.join(BUILD, "keepvip.8"), encoding="utf-8") as f:
            cls.page = f.read()

    def test_registry_is_seen(self):
        # the parser of help-settings must find the core's and the adapters' keys
        self.assertIn("KEEPVIP_VIPS", self.keys)
        self.assertIn("KEEPVIP_LOG_LEVEL", self.keys)
        self.assertTrue(any(s.startswith("Adapter ") for s in self.keys.values()))

    def test_groff_without_warnings(self):
        out = run(["groff", "-man", "-Tutf8", "-ww", "-z", os.path.join(BUILD, "keepvip.8")])
        self.assertEqual((out.returncode, out.stderr), (0, ""))

    def test_every_setting_explained(self):
        lines = help_settings().splitlines()
        unexplained = [lines[i - 2].strip() for i, line in enumerate(lines)
                       if line.strip() == "(no description)"]
        self.assertEqual(unexplained, [], "settings without a .help line in their table")

    def test_every_setting_in_the_page(self):
        settings = self.page.split("\n.SH SETTINGS\n", 1)[1].split("\n.SH ", 1)[0]
        listed = set(re.findall(r"^\.B (KEEPVIP_\S+)$", settings, re.M))
        self.assertEqual(listed, set(self.keys))

    def test_page_names_only_settings(self):
        named = set(ENV_NAME.findall(self.page)) - NOT_SETTINGS
        self.assertEqual(named - set(self.keys), set())


class Readme(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keys = registry()
        with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
            cls.readme = f.read()

    def test_settings_table_lists_every_core_setting(self):
        section = self.readme.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
        rows = "\n".join(line for line in section.splitlines() if line.startswith("|"))
        core = {k for k, s in self.keys.items() if not s.startswith("Adapter ")}
        self.assertEqual(core - set(ENV_NAME.findall(rows)), set())

    def test_every_adapter_setting_named(self):
        # by its env name, or by the usual name it has as alias (MARATHON_APP_ID, HOST ...)
        aliases = {}
        registry(aliases)
        adapter = {k for k, s in self.keys.items() if s.startswith("Adapter ")}
        words = set(re.findall(r"[A-Z][A-Z0-9_]*[A-Z0-9]", self.readme))
        missing = {k for k in adapter if k not in words and aliases.get(k) not in words}
        self.assertEqual(missing, set())

    def test_readme_names_only_settings(self):
        named = set(ENV_NAME.findall(self.readme)) - NOT_SETTINGS
        self.assertEqual(named - set(self.keys), set())

    def test_scripts_never_call_sudo(self):
        calls = re.compile(r"(^|[;&|(`]|\$\()\s*sudo\b")
        found = []
        for path in glob.glob(os.path.join(REPO, "scripts", "*.sh")) + \
                glob.glob(os.path.join(REPO, "tests", "**", "*.sh"), recursive=True):
            with open(path, encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    code = line.split("#", 1)[0]
                    if calls.search(code):
                        found.append("%s:%d: %s" % (os.path.relpath(path, REPO), n, line.strip()))
        self.assertEqual(found, [])
        for line in self.readme.splitlines():
            self.assertFalse(re.match(r"^sudo \./scripts/(demo|test)\.sh", line),
                             "README runs a script only through sudo: " + line)


if __name__ == "__main__":
    unittest.main(verbosity=2)
