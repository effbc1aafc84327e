#!/usr/bin/env python3
"""test_swarm_templates.py — swarm-templates/: the stack file and the Rancher swarm-catalog entry.

Usage: test_swarm_templates.py [unittest options]

What is checked:
  * the stack file's interpolation (the docker CLI's forms: ${VAR}, ${VAR:-default},
    ${VAR-default}, ${VAR:?message}, $$) by an interpolator tested on known inputs first;
  * swarm-templates/docker-stack.yml: every ${VAR} has a default or is required with a
    message (VIRTUAL_IP); the knobs are the seed's env names plus keepvip's; interpolated, it
    validates against docker/cli's config_schema_v3.8.json (what `docker stack deploy`
    checks) and the Compose Specification; the service is a global one on the host network
    with NET_ADMIN + NET_RAW, the Docker socket read-only, KEEPVIP_ORCHESTRATOR=swarm,
    KEEPVIP_SWARM_SERVICE from {{.Service.Name}}, a `keepvip status` health check, a stop
    grace period, restart and update policies (one at a time, stop-first);
  * swarm-templates/keepvip (Rancher's swarm-catalog form, ../shared/reference/
    rancher-catalog.md §6): layout, config.yml, the .catalog questions; every ${VAR} of the
    compose file asked and every question used; rendered the way Rancher does
    (tests/templates/render.py: "# notemplating" keeps {{.Service.Name}} for swarm), it
    validates against both schemas and describes the same service as the stack file given the
    same answers.
`docker stack deploy` of the stack file by a real engine is tests/integration/swarm_lab.sh.
Needs: python3, python3-yaml, python3-jsonschema (Debian packages).
"""

import json
import os
import re
import sys
import unittest

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import render  # noqa: E402  (the module next to this file)

REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
SWARM = os.path.join(REPO, "swarm-templates")
STACK_FILE = os.path.join(SWARM, "docker-stack.yml")
ENTRY = os.path.join(SWARM, "keepvip")
VERSION_DIR = os.path.join(ENTRY, "0")
SHARED = os.environ.get("KEEPVIP_SHARED_DIR", os.path.join(REPO, "..", "shared"))
SCHEMA_V38 = os.path.join(SHARED, "schemas", "compose", "config_schema_v3.8.json")
SCHEMA_SPEC = os.path.join(SHARED, "schemas", "compose", "compose-spec.json")

SERVICE = "keepvip"
SEED_NAMES = {"VIRTUAL_IP", "NETMASK_BIT", "CHECK_PORT", "INTERFACE", "VRID"}
STACK_KNOBS = SEED_NAMES | {"KEEPVIP_PRIORITY", "KEEPVIP_ADVERT_MS", "KEEPVIP_SWARM_PEER_PORT",
                            "KEEPVIP_IMAGE"}
SAMPLE = {"VIRTUAL_IP": "10.0.0.250", "NETMASK_BIT": "24", "CHECK_PORT": "8080",
          "INTERFACE": "eth1", "VRID": "77", "KEEPVIP_PRIORITY": "120",
          "KEEPVIP_ADVERT_MS": "500"}

# The docker CLI's interpolation (docker/cli cli/compose/template): $$, $NAME, ${NAME} and
# ${NAME:-d} ${NAME-d} ${NAME:?msg} ${NAME?msg}.
CLI_FORM = re.compile(r"\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|"
                      r"([A-Za-z_][A-Za-z0-9_]*)|)")


class Missing(Exception):
    """A required variable without a value (the CLI refuses the file)."""


def cli_interpolate_string(text, env):
    def replace(match):
        escaped, name, op, arg, bare = match.groups()
        if escaped:
            return "$"
        if bare:
            return env.get(bare, "")
        if name is None:
            raise ValueError("lone '$' in %r" % text)
        value = env.get(name)
        if op in (":-", "-"):
            if value is None or (op == ":-" and value == ""):
                return arg
        elif op in (":?", "?"):
            if value is None or (op == ":?" and value == ""):
                raise Missing("%s: %s" % (name, arg))
        return value or ""
    return CLI_FORM.sub(replace, text)


def cli_interpolate(node, env):
    if isinstance(node, dict):
        return {key: cli_interpolate(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [cli_interpolate(value, env) for value in node]
    if isinstance(node, str):
        return cli_interpolate_string(node, env)
    return node


def cli_variables(text):
    """{NAME: (operator or None, argument)} for every ${...} / $NAME of a raw file."""
    found = {}
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        for match in CLI_FORM.finditer(line):
            escaped, name, op, arg, bare = match.groups()
            if not escaped and (name or bare):
                found[name or bare] = (op, arg)
    return found


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def load_schema(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def stack_doc(env=None):
    env = {"VIRTUAL_IP": "10.0.0.250"} if env is None else env
    return cli_interpolate(yaml.safe_load(read(STACK_FILE)), dict(env))


def duration_s(text):
    match = re.fullmatch(r"(\d+)(ms|s|m)", str(text))
    if not match:
        raise AssertionError("not a duration: %r" % text)
    return int(match.group(1)) * {"ms": 0.001, "s": 1, "m": 60}[match.group(2)]


def validate(doc, testcase):
    try:
        import jsonschema
    except ImportError:
        testcase.fail("python3-jsonschema is not installed (scripts/setup.sh installs it)")
    jsonschema.validate(doc, load_schema(SCHEMA_V38), cls=jsonschema.Draft4Validator)
    jsonschema.validate(doc, load_schema(SCHEMA_SPEC), cls=jsonschema.Draft7Validator)
    return jsonschema


class InterpolatorTests(unittest.TestCase):
    """The CLI interpolator on known inputs: if these fail, nothing below can be trusted."""

    def test_forms(self):
        env = {"A": "x", "E": ""}
        self.assertEqual(cli_interpolate_string("${A}-$A-$$A", env), "x-x-$A")
        self.assertEqual(cli_interpolate_string("${B:-d}|${E:-d}|${E-d}|${B-d}", env), "d|d||d")
        self.assertEqual(cli_interpolate_string("${A:?no}", env), "x")
        with self.assertRaises(Missing):
            cli_interpolate_string("${B:?no}", env)
        with self.assertRaises(Missing):
            cli_interpolate_string("${E:?no}", env)
        self.assertEqual(cli_interpolate_string("${E?no}", env), "")
        self.assertEqual(cli_interpolate_string("{{.Service.Name}}", env), "{{.Service.Name}}")

    def test_variables(self):
        self.assertEqual(cli_variables("a: ${A:-1}\n# ${C}\nb: $B $$D\n"),
                         {"A": (":-", "1"), "B": (None, None)})


class StackFileTests(unittest.TestCase):
    """swarm-templates/docker-stack.yml, the file for `docker stack deploy`."""

    @classmethod
    def setUpClass(cls):
        cls.text = read(STACK_FILE)
        cls.variables = cli_variables(cls.text)
        cls.defaults = stack_doc()
        cls.sample = stack_doc(dict(SAMPLE, KEEPVIP_IMAGE="registry.example/keepvip:9"))

    def service(self, doc):
        return doc["services"][SERVICE]

    def test_version_3(self):
        self.assertTrue(str(self.defaults["version"]).startswith("3."))
        self.assertGreaterEqual(float(self.defaults["version"]), 3.5,
                                "the host network by name needs 3.5+")

    def test_knobs(self):
        self.assertEqual(set(self.variables), STACK_KNOBS)
        for name, (op, arg) in self.variables.items():
            self.assertIn(op, (":-", "-", ":?"), "%s has neither a default nor a message" % name)
            if op == ":?":
                self.assertTrue(arg.strip(), name)
        self.assertEqual(self.variables["VIRTUAL_IP"][0], ":?", "VIRTUAL_IP is required")
        with self.assertRaises(Missing):
            stack_doc({})

    def test_schemas(self):
        for doc in (self.defaults, self.sample):
            jsonschema = validate(doc, self)
        broken = stack_doc()
        self.service(broken)["cap_add"] = "NET_ADMIN"
        with self.assertRaises(jsonschema.ValidationError):
            jsonschema.validate(broken, load_schema(SCHEMA_V38), cls=jsonschema.Draft4Validator)

    def test_environment(self):
        env = render.environment_of(self.service(self.defaults))
        self.assertTrue(SEED_NAMES <= set(env), "the seed's env names")
        self.assertEqual(env["KEEPVIP_ORCHESTRATOR"], "swarm")
        self.assertEqual(env["KEEPVIP_SWARM_SERVICE"], "{{.Service.Name}}")
        self.assertEqual(env["VIRTUAL_IP"], "10.0.0.250")
        self.assertEqual((env["NETMASK_BIT"], env["VRID"], env["CHECK_PORT"]), ("32", "51", "80"))
        sample = render.environment_of(self.service(self.sample))
        for name, value in SAMPLE.items():
            self.assertEqual(sample[name], value)
        self.assertEqual(self.service(self.sample)["image"], "registry.example/keepvip:9")
        # An empty CHECK_PORT turns the check off (empty counts as unset in keepvip).
        no_check = stack_doc({"VIRTUAL_IP": "10.0.0.250", "CHECK_PORT": ""})
        self.assertEqual(render.environment_of(self.service(no_check))["CHECK_PORT"], "")

    def test_service_shape(self):
        assert_swarm_service(self, self.service(self.defaults), self.defaults)


def assert_swarm_service(testcase, service, doc):
    """What a keepvip swarm service must be, for both the stack file and the catalog entry."""
    testcase.assertEqual(set(service["cap_add"]), {"NET_ADMIN", "NET_RAW"})
    testcase.assertEqual(service["networks"], ["hostnet"])
    testcase.assertEqual(doc["networks"]["hostnet"], {"external": True, "name": "host"})
    testcase.assertNotIn("network_mode", service, "stack deploy ignores network_mode")
    testcase.assertNotIn("ports", service)
    socket = [v for v in service["volumes"]
              if isinstance(v, dict) and v.get("target") == "/var/run/docker.sock"]
    testcase.assertEqual(len(socket), 1, "the Docker socket is mounted")
    testcase.assertEqual(socket[0]["source"], "/var/run/docker.sock")
    testcase.assertIs(socket[0]["read_only"], True)
    health = service["healthcheck"]["test"]
    testcase.assertEqual(health[0], "CMD")
    testcase.assertEqual(health[1:], ["/usr/bin/keepvip", "status"])
    testcase.assertGreaterEqual(duration_s(service["stop_grace_period"]), 2,
                                "time for the priority-0 advert and the VIP removal")
    deploy = service["deploy"]
    testcase.assertEqual(deploy["mode"], "global")
    testcase.assertNotIn("replicas", deploy)
    testcase.assertEqual(deploy["restart_policy"]["condition"], "any")
    testcase.assertEqual(deploy["update_config"]["parallelism"], 1)
    testcase.assertEqual(deploy["update_config"]["order"], "stop-first")
    testcase.assertEqual(deploy["rollback_config"]["order"], "stop-first")


class CatalogEntryTests(unittest.TestCase):
    """swarm-templates/keepvip, Rancher's swarm-catalog form."""

    @classmethod
    def setUpClass(cls):
        cls.catalog, cls.answers, cls.docker_doc, cls.rancher_doc = \
            render.render_version(VERSION_DIR, None, "edge")
        cls.sample = render.render_version(VERSION_DIR, SAMPLE, "edge")

    def test_layout(self):
        self.assertEqual(sorted(os.listdir(ENTRY)), ["0", "catalogIcon-keepvip.svg", "config.yml"])
        self.assertEqual(sorted(os.listdir(VERSION_DIR)),
                         ["docker-compose.yml", "rancher-compose.yml"])
        config = yaml.safe_load(read(os.path.join(ENTRY, "config.yml")))
        for key in ("name", "description", "version", "category", "maintainer", "license"):
            self.assertTrue(str(config.get(key, "")).strip(), key)
        self.assertEqual(config["version"], self.catalog["version"])

    def test_questions(self):
        questions = self.catalog["questions"]
        names = [q["variable"] for q in questions]
        self.assertEqual(len(names), len(set(names)), "a question asked twice")
        self.assertTrue(SEED_NAMES <= set(names))
        for q in questions:
            self.assertTrue(q.get("label") and q.get("description"), q["variable"])
            self.assertIn(q["type"], {"string", "int", "enum"}, q["variable"])
            if q["type"] == "int" and str(q.get("default", "")) != "":
                self.assertLessEqual(q["min"], int(q["default"]))
                self.assertLessEqual(int(q["default"]), q["max"])
            if q["type"] == "enum":
                self.assertIn(q["default"], q["options"])

    def test_every_variable_is_asked_and_every_question_used(self):
        text = read(os.path.join(VERSION_DIR, "docker-compose.yml"))
        used = render.variables_used(text)
        asked = {q["variable"] for q in self.catalog["questions"]}
        self.assertEqual(used - asked, set(), "variables nobody is asked for")
        self.assertEqual(asked - used, set(), "questions whose answer is not used")

    def test_swarm_template_survives_rancher(self):
        self.assertTrue(read(os.path.join(VERSION_DIR, "docker-compose.yml"))
                        .startswith("# notemplating\n"))
        env = render.environment_of(self.docker_doc["services"][SERVICE])
        self.assertEqual(env["KEEPVIP_SWARM_SERVICE"], "{{.Service.Name}}")
        self.assertEqual(env["KEEPVIP_ORCHESTRATOR"], "swarm")

    def test_schemas(self):
        for _, _, doc, _ in (self.sample,):
            validate(doc, self)
        validate(self.docker_doc, self)

    def test_service_shape(self):
        assert_swarm_service(self, self.docker_doc["services"][SERVICE], self.docker_doc)

    def test_same_service_as_the_stack_file(self):
        """Given the same answers, the entry and the stack file describe the same service."""
        for answers in ({}, SAMPLE):
            _, used, doc, _ = render.render_version(VERSION_DIR, answers, "edge")
            stack = stack_doc(used)
            ours = dict(doc["services"][SERVICE])
            theirs = dict(stack["services"][SERVICE])
            ours["environment"] = render.environment_of(ours)
            theirs["environment"] = render.environment_of(theirs)
            # The entry also asks the VRRP version; the stack file leaves it to the default.
            ours["environment"].pop("KEEPVIP_VRRP_VERSION")
            self.assertEqual(ours, theirs)
            self.assertEqual(doc["networks"], stack["networks"])

    def test_rancher_compose(self):
        self.assertEqual(self.catalog["name"], "keepvip")
        self.assertRegex(self.catalog["minimum_rancher_version"], r"^v1\.6\.")


if __name__ == "__main__":
    unittest.main()
