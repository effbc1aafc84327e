#!/usr/bin/env python3
"""test_mesos.py — mesos-templates/keepvip: the Marathon app and Rancher's mesos-catalog form.

Usage: test_mesos.py [KEEPVIP_BINARY] [unittest options]
  (default binary: $KEEPVIP_BIN, else build/keepvip of this repository)

What is checked:
  * marathon.json validates against Marathon's AppDefinition schema
    (../shared/schemas/marathon/AppDefinition.json, draft-04), and a broken copy does not;
  * its placement and networking field by field (../shared/reference/marathon-api.md §5):
    one task per agent (hostname UNIQUE), instances documented as the agent count, host
    networking, no port definitions, the Docker containerizer with NET_ADMIN and NET_RAW and
    not privileged, the seed's env names and KEEPVIP_ORCHESTRATOR=marathon, a health check
    that reaches the status address under host networking, an upgrade strategy that never
    puts two tasks on one agent, a kill grace period for the priority-0 goodbye; the image is
    the one templates/keepvip uses;
  * `keepvip check` accepts its environment as Marathon gives it to a task (the app's env plus
    MARATHON_APP_ID, MESOS_TASK_ID, HOST, ...), with the marathon adapter it names;
  * the Rancher mesos-catalog form (mesos-templates/keepvip/{config.yml, 0/}): layout,
    config.yml, every ${VAR} answered by a question and every question used, each question's
    fields, the rendered docker-compose.yml against the compose schema, and its service shape
    (global, host network, capabilities, not privileged).
Needs: python3, python3-yaml, python3-jsonschema (Debian packages).
"""

import copy
import json
import os
import subprocess
import sys
import unittest

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import render  # noqa: E402  (the module next to this file)

REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
ENTRY = os.path.join(REPO, "mesos-templates", "keepvip")
VERSION_DIR = os.path.join(ENTRY, "0")
APP = os.path.join(ENTRY, "marathon.json")
CATTLE_COMPOSE = os.path.join(REPO, "templates", "keepvip", "0", "docker-compose.yml")
SHARED = os.environ.get("KEEPVIP_SHARED_DIR", os.path.join(REPO, "..", "shared"))
APP_SCHEMA = os.path.join(SHARED, "schemas", "marathon", "AppDefinition.json")
COMPOSE_SCHEMA = os.path.join(SHARED, "schemas", "compose", "compose-spec.json")
KEEPVIP = os.environ.get("KEEPVIP_BIN", os.path.join(REPO, "build", "keepvip"))

SEED_ENV = ("VIRTUAL_IP", "NETMASK_BIT", "CHECK_PORT", "INTERFACE", "VRID")
STATUS_ADDR_DEFAULT = "127.0.0.1:9650"  # DESIGN.md, KEEPVIP_STATUS_ADDR
QUESTION_TYPES = {"string", "int", "boolean", "enum", "password", "service", "certificate",
                  "multiline"}
QUESTION_FIELDS = {"variable", "label", "description", "type", "required", "default", "options",
                   "group", "min", "max", "min_length", "max_length", "valid_chars",
                   "invalid_chars"}


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def load_app():
    return json.loads(read(APP))


def jsonschema_module(test):
    try:
        import jsonschema
    except ImportError:
        test.fail("python3-jsonschema is not installed (scripts/setup.sh installs it)")
    return jsonschema


def cattle_image():
    """The image templates/keepvip runs: the one image every template ships."""
    doc = yaml.safe_load(render.render_go_template(read(CATTLE_COMPOSE), {}, "keepvip"))
    return doc["services"]["keepvip"]["image"]


class MarathonSchemaTests(unittest.TestCase):
    """marathon.json against Marathon's own schema (request form, draft-04)."""

    @classmethod
    def setUpClass(cls):
        cls.schema = json.loads(read(APP_SCHEMA))

    def validate(self, app):
        jsonschema = jsonschema_module(self)
        jsonschema.validate(app, self.schema, cls=jsonschema.Draft4Validator)

    def test_valid(self):
        self.validate(load_app())

    def test_schema_rejects_what_marathon_rejects(self):
        """The validator really checks: each of these breaks the app."""
        jsonschema = jsonschema_module(self)
        breakages = {
            "privileged as text": lambda a: a["container"]["docker"].__setitem__(
                "privileged", "false"),
            "unknown constraint operator": lambda a: a.__setitem__(
                "constraints", [["hostname", "ONE_PER_HOST"]]),
            "over capacity above 1": lambda a: a["upgradeStrategy"].__setitem__(
                "maximumOverCapacity", 2),
            "unknown top-level field": lambda a: a.__setitem__("hostNetwork", True),
            "env value not a string": lambda a: a["env"].__setitem__("VRID", 51),
            "no id": lambda a: a.pop("id"),
        }
        for name, breakage in breakages.items():
            with self.subTest(breakage=name):
                app = load_app()
                breakage(app)
                with self.assertRaises(jsonschema.ValidationError):
                    self.validate(app)


class MarathonAppTests(unittest.TestCase):
    """Placement, networking and lifecycle, field by field."""

    @classmethod
    def setUpClass(cls):
        cls.app = load_app()

    def test_id_and_resources(self):
        self.assertEqual(self.app["id"], "/keepvip")
        self.assertGreater(self.app["cpus"], 0)
        self.assertLessEqual(self.app["cpus"], 0.5)
        self.assertGreaterEqual(self.app["mem"], 32)
        self.assertNotIn("cmd", self.app, "the image's entrypoint runs keepvip")
        self.assertNotIn("args", self.app)

    def test_one_task_per_agent(self):
        constraints = self.app["constraints"]
        self.assertIn(["hostname", "UNIQUE"], constraints)
        # nothing that would allow a second task on an agent
        for constraint in constraints:
            self.assertNotIn(constraint[1], ("MAX_PER", "GROUP_BY"), constraint)

    def test_instances_is_the_documented_agent_count(self):
        instances = self.app["instances"]
        self.assertIsInstance(instances, int)
        self.assertGreaterEqual(instances, 2, "a VRRP group needs two members")
        readme = read(os.path.join(ENTRY, "README.md"))
        self.assertIn("`instances`: **the number of agents", readme)
        self.assertIn("(%d here)" % instances, readme)

    def test_host_networking_without_ports(self):
        self.assertEqual(self.app["networks"], [{"mode": "host"}])
        self.assertEqual(self.app["portDefinitions"], [])
        self.assertNotIn("ports", self.app)
        self.assertIs(self.app.get("requirePorts", False), False)
        self.assertNotIn("portMappings", self.app["container"])
        self.assertNotIn("ipAddress", self.app)
        self.assertIn(self.app["container"]["docker"].get("network", "HOST"), ("HOST",))

    def test_docker_with_capabilities_not_privileged(self):
        container = self.app["container"]
        self.assertEqual(container["type"], "DOCKER")
        docker = container["docker"]
        self.assertIs(docker["privileged"], False)
        caps = sorted(p["value"] for p in docker["parameters"] if p["key"] == "cap-add")
        self.assertEqual(caps, ["NET_ADMIN", "NET_RAW"])
        self.assertEqual([p["key"] for p in docker["parameters"]], ["cap-add", "cap-add"])
        self.assertEqual(docker["image"], cattle_image())

    def test_environment(self):
        env = self.app["env"]
        for name in SEED_ENV:
            self.assertIsInstance(env.get(name), str, name)
        self.assertEqual(env["KEEPVIP_ORCHESTRATOR"], "marathon")
        for name, value in env.items():
            self.assertIsInstance(value, str, "%s: plain values only in the template" % name)
            self.assertNotRegex(name, "PASSWORD|TOKEN", "no secret in the template")

    def status_port(self):
        addr = self.app["env"].get("KEEPVIP_STATUS_ADDR", STATUS_ADDR_DEFAULT)
        host, _, port = addr.rpartition(":")
        return host, int(port)

    def test_health_check_reaches_the_status_address(self):
        (check,) = self.app["healthChecks"]
        host, port = self.status_port()
        if check["protocol"] == "COMMAND":
            self.assertRegex(check["command"]["value"], r"\bkeepvip status\b")
        else:
            # Run by the agent in the task's network: the host's, under host networking, so
            # a loopback status address is reached. A Marathon-side HTTP check would not.
            self.assertEqual(check["protocol"], "MESOS_HTTP")
            self.assertIn(host, ("127.0.0.1", "localhost"))
            self.assertEqual(check["port"], port)
            self.assertNotIn("portIndex", check)
            self.assertEqual(check["path"], "/healthz")
        self.assertGreaterEqual(check["gracePeriodSeconds"], 10)
        self.assertGreaterEqual(check["maxConsecutiveFailures"], 2)
        self.assertLess(check["timeoutSeconds"], check["intervalSeconds"])

    def test_upgrade_never_puts_two_tasks_on_an_agent(self):
        strategy = self.app["upgradeStrategy"]
        # no task above `instances`: with UNIQUE on every agent, an extra one could only
        # wait, and the old one is stopped before its replacement starts
        self.assertEqual(strategy["maximumOverCapacity"], 0)
        # not 1 (nothing could be stopped: the upgrade stalls), not 0 (all stopped at once:
        # the address goes away)
        self.assertGreater(strategy["minimumHealthCapacity"], 0)
        self.assertLess(strategy["minimumHealthCapacity"], 1)

    def test_kill_grace_period_for_the_goodbye(self):
        grace = self.app["taskKillGracePeriodSeconds"]
        self.assertIsInstance(grace, int)
        # SIGTERM: priority-0 advert and the address released within a second (DESIGN)
        self.assertGreaterEqual(grace, 3)
        self.assertLessEqual(grace, 30)

    def test_keepvip_check_accepts_the_environment(self):
        if not os.access(KEEPVIP, os.X_OK):
            self.fail("keepvip binary not found: %s" % KEEPVIP)
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        env.update(self.app["env"])
        # what Marathon adds to every task (../shared/reference/marathon-api.md §4)
        env.update({
            "MARATHON_APP_ID": self.app["id"],
            "MARATHON_APP_VERSION": "2024-05-02T09:30:00.512Z",
            "MARATHON_APP_DOCKER_IMAGE": self.app["container"]["docker"]["image"],
            "MESOS_TASK_ID": self.app["id"].strip("/").replace("/", "_") +
                             ".instance-a4485ce8-a4a2-841f-4eed-dbe7fa61f010._app.1",
            "HOST": "10.42.0.11",
            "MESOS_SANDBOX": "/mnt/mesos/sandbox",
            "PORTS": "",
        })
        self.assertEqual(env["KEEPVIP_ORCHESTRATOR"], "marathon")
        for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if var in os.environ:
                env[var] = os.environ[var]
        result = subprocess.run([KEEPVIP, "check"], env=env, capture_output=True, text=True,
                                timeout=30, check=False)
        self.assertEqual(result.returncode, 0, result.stderr + result.stdout)
        settings = yaml.safe_load(result.stdout)
        self.assertEqual(settings["status_addr"], self.app["env"]["KEEPVIP_STATUS_ADDR"])
        (instance,) = settings["instances"]
        app_env = self.app["env"]
        self.assertEqual(instance["vips"],
                         ["%s/%s" % (app_env["VIRTUAL_IP"], app_env["NETMASK_BIT"])])
        self.assertEqual(instance["vrid"], int(app_env["VRID"]))
        self.assertEqual(instance["interface"], app_env["INTERFACE"])
        self.assertEqual([c["tcp"] for c in instance["checks"]], [int(app_env["CHECK_PORT"])])
        # the marathon adapter took the task's identity (the settings it prints back)
        self.assertEqual(settings["orchestrator"], "marathon")
        self.assertEqual(settings["marathon_app_id"], self.app["id"])
        self.assertEqual(settings["mesos_task_id"], env["MESOS_TASK_ID"])
        self.assertEqual(settings["host"], "10.42.0.11")
        self.assertRegex(result.stdout, r"(?m)^adapter: marathon$")


class CatalogFormTests(unittest.TestCase):
    """mesos-templates/keepvip/{config.yml, 0/}: Rancher's mesos-catalog form."""

    @classmethod
    def setUpClass(cls):
        cls.docker_text = read(os.path.join(VERSION_DIR, "docker-compose.yml"))
        cls.rancher_text = read(os.path.join(VERSION_DIR, "rancher-compose.yml"))
        cls.catalog = render.load_catalog(cls.rancher_text)
        cls.questions = cls.catalog["questions"]

    def test_entry_files(self):
        for name in ("config.yml", "catalogIcon-keepvip.svg", "0/docker-compose.yml",
                     "0/rancher-compose.yml", "0/README.md"):
            path = os.path.join(ENTRY, name)
            self.assertTrue(os.path.isfile(path), path)
            self.assertGreater(os.path.getsize(path), 0, path)

    def test_config_and_versions(self):
        config = yaml.safe_load(read(os.path.join(ENTRY, "config.yml")))
        for key in ("name", "description", "version", "category", "maintainer", "license"):
            self.assertIsInstance(config.get(key), str, key)
            self.assertTrue(config[key].strip(), key)
        self.assertEqual(config["name"], "keepvip")
        self.assertEqual(self.catalog["name"], config["name"])
        self.assertEqual(self.catalog["version"], config["version"])
        self.assertRegex(self.catalog["minimum_rancher_version"], r"^v?\d+\.\d+\.\d+")

    def test_every_variable_is_asked_and_every_question_used(self):
        used = render.variables_used(self.docker_text) | render.variables_used(
            self.rancher_text)
        asked = [q["variable"] for q in self.questions]
        self.assertEqual(len(asked), len(set(asked)), "duplicate variable")
        self.assertEqual(used - set(asked), set(), "variables without a question")
        self.assertEqual(set(asked) - used, set(), "questions nobody uses")
        self.assertTrue(set(SEED_ENV) <= set(asked))

    def test_every_question_has_its_fields(self):
        readme = read(os.path.join(VERSION_DIR, "README.md"))
        for q in self.questions:
            with self.subTest(question=q.get("variable")):
                self.assertFalse(set(q) - QUESTION_FIELDS, "unknown fields")
                for key in ("label", "description"):
                    self.assertIsInstance(q.get(key), str)
                    self.assertTrue(q[key].strip())
                self.assertIn(q.get("type"), QUESTION_TYPES)
                self.assertIsInstance(q.get("required"), bool)
                self.assertIsInstance(q.get("default"), str)
                if q["type"] == "int":
                    self.assertLessEqual(q["min"], int(q["default"]))
                    self.assertLessEqual(int(q["default"]), q["max"])
                if q["type"] == "enum":
                    self.assertIn(q["default"], q["options"])
                self.assertIn(q["label"], readme)

    def render(self, answers=None):
        return render.render_version(VERSION_DIR, answers, "edge-vip")

    def test_service_shape(self):
        for answers in (None, {"VIRTUAL_IP": "10.20.0.100", "VRID": "77"}):
            _, used, docker_doc, rancher_doc = self.render(answers)
            self.assertEqual(list(docker_doc["services"]), ["keepvip"])
            service = docker_doc["services"]["keepvip"]
            self.assertEqual(service["image"], cattle_image())
            self.assertEqual(service["network_mode"], "host")
            self.assertEqual(sorted(service["cap_add"]), ["NET_ADMIN", "NET_RAW"])
            self.assertNotIn("privileged", service)
            self.assertEqual(service["labels"]["io.rancher.scheduler.global"], "true")
            self.assertEqual(service["labels"]["io.rancher.container.dns"], "true")
            env = render.environment_of(service)
            self.assertEqual(env["KEEPVIP_ORCHESTRATOR"], "rancher")
            for q in self.questions:
                self.assertEqual(env[q["variable"]], used[q["variable"]], q["variable"])
            keepvip = rancher_doc["services"]["keepvip"]
            self.assertNotIn("scale", keepvip, "a global service has no scale")
            self.assertIs(keepvip["upgrade_strategy"]["start_first"], False)

    def test_compose_schema(self):
        jsonschema = jsonschema_module(self)
        schema = json.loads(read(COMPOSE_SCHEMA))
        _, _, docker_doc, _ = self.render()
        jsonschema.validate(docker_doc, schema, cls=jsonschema.Draft7Validator)
        broken = copy.deepcopy(docker_doc)
        broken["services"]["keepvip"]["cap_add"] = "NET_ADMIN"
        with self.assertRaises(jsonschema.ValidationError):
            jsonschema.validate(broken, schema, cls=jsonschema.Draft7Validator)


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        KEEPVIP = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
