#!/usr/bin/env python3
"""test_catalog.py — the Rancher catalog entry templates/keepvip, checked the way Rancher uses it.

Usage: test_catalog.py [KEEPVIP_BINARY] [unittest options]
  (default binary: $KEEPVIP_BIN, else build/keepvip of this repository)

What is checked:
  * the renderer itself (tests/templates/render.py) on known inputs, so that a broken renderer
    cannot make the template checks pass;
  * the entry's layout and config.yml, as catalog-service reads them (../shared/reference/
    rancher-catalog.md §1-2);
  * every .catalog question: label, description, type, a default of the right kind, bounds;
    the required questions (the seed's four and keepvip's own) are all there; every ${VAR}
    of the compose files is asked and every question is used;
  * docker-compose.yml and rancher-compose.yml rendered with the defaults and with sample
    answers: service shape (host network, NET_ADMIN + NET_RAW, global, Rancher DNS), the
    environment keepvip gets, the optional host label, and the compose schema
    (../shared/schemas/compose/compose-spec.json);
  * `keepvip check` run with exactly the rendered environment: exit 0 and the effective
    settings carry the answers; a bad answer makes it exit 2 naming the setting; a stack
    written for the seed image (its five env names only) passes unchanged.
Needs: python3, python3-yaml, python3-jsonschema (Debian packages).
"""

import json
import os
import re
import subprocess
import sys
import unittest
import xml.dom.minidom

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import render  # noqa: E402  (the module next to this file)

REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
ENTRY = os.path.join(REPO, "templates", "keepvip")
VERSION_DIR = os.path.join(ENTRY, "0")
SHARED = os.environ.get("KEEPVIP_SHARED_DIR", os.path.join(REPO, "..", "shared"))
COMPOSE_SCHEMA = os.path.join(SHARED, "schemas", "compose", "compose-spec.json")
KEEPVIP = os.environ.get("KEEPVIP_BIN", os.path.join(REPO, "build", "keepvip"))

SERVICE = "keepvip"
STACK = "edge-vip"

# The seed image's env names ("Keepalived for Rancher") and keepvip's own questions.
SEED_QUESTIONS = {"VIRTUAL_IP", "NETMASK_BIT", "CHECK_PORT", "INTERFACE"}
KEEPVIP_QUESTIONS = {"VRID", "KEEPVIP_PRIORITY", "KEEPVIP_ADVERT_MS", "KEEPVIP_VRRP_VERSION",
                     "KEEPVIP_NOTIFY"}
QUESTION_TYPES = {"string", "int", "boolean", "enum", "password", "service", "certificate",
                  "multiline"}
QUESTION_FIELDS = {"variable", "label", "description", "type", "required", "default", "options",
                   "group", "min", "max", "min_length", "max_length", "valid_chars",
                   "invalid_chars"}

# Answers a user might give instead of the defaults: VRRP v2 with whole seconds, several
# VIPs, a named NIC, a notify command with quotes, spaces and '#', a host label.
SAMPLE_ANSWERS = {
    "VIRTUAL_IP": "10.20.0.100,10.20.0.101/32",
    "NETMASK_BIT": "24",
    "CHECK_PORT": "8443",
    "INTERFACE": "ens192",
    "VRID": "77",
    "KEEPVIP_PRIORITY": "150",
    "KEEPVIP_ADVERT_MS": "2000",
    "KEEPVIP_VRRP_VERSION": "2",
    "KEEPVIP_NOTIFY": '/opt/notify.sh --tag "vip: edge" # not a comment',
    "HOST_LABEL": "lb=true",
}

# What a stack written for the seed image passes to its container: these five, nothing else.
SEED_STACK_ENV = {
    "VIRTUAL_IP": "172.16.5.40",
    "NETMASK_BIT": "24",
    "CHECK_PORT": "80",
    "INTERFACE": "eth0",
    "VRID": "40",
}

# keepvip check talks to the selected adapter once; keep that quick and local (the rancher
# adapter's endpoint is overridable for tests, DESIGN.md "Adapter endpoints").
CHECK_ONLY_ENV = {"KEEPVIP_RANCHER_METADATA_URL": "http://127.0.0.1:1/2015-12-19"}


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def render_sample(answers=None, stack=STACK):
    return render.render_version(VERSION_DIR, answers, stack)


def keepvip_service(docker_doc):
    return docker_doc["services"][SERVICE]


def run_check(env):
    """`keepvip check` with exactly env (plus PATH and the test-only endpoint override)."""
    full = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    full.update(CHECK_ONLY_ENV)
    full.update(env)
    for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if var in os.environ:
            full[var] = os.environ[var]
    return subprocess.run([KEEPVIP, "check"], env=full, capture_output=True, text=True,
                          timeout=30, check=False)


def effective_settings(result):
    """keepvip check's output (YAML-shaped) as a dict."""
    return yaml.safe_load(result.stdout)


class RendererTests(unittest.TestCase):
    """The renderer on known inputs: if these fail, nothing below can be trusted."""

    def test_interpolation_forms(self):
        answers = {"A": "x", "B": "y z"}
        self.assertEqual(render.interpolate_string("${A}-$B-$$A-${C}|", answers), "x-y z-$A-|")

    def test_interpolation_rejects_what_rancher_does_not_do(self):
        for text in ("${A:-default}", "cost $ 5", "${}"):
            with self.assertRaises(render.RenderError, msg=text):
                render.interpolate_string(text, {"A": "x"})

    def test_interpolation_is_per_value_not_per_text(self):
        doc = render.render_file("env:\n  - N=${A}\n", {"A": "a: b # c"}, None)
        self.assertEqual(doc, {"env": ["N=a: b # c"]})

    def test_go_template_if_else_and_trimming(self):
        text = "a:\n{{- if eq .Values.X \"true\" }}\n  b: 1\n{{- else }}\n  c: 2\n{{- end }}\n"
        self.assertEqual(render.render_go_template(text, {"X": "true"}), "a:\n  b: 1\n")
        self.assertEqual(render.render_go_template(text, {"X": "false"}), "a:\n  c: 2\n")

    def test_go_template_values_and_stack(self):
        text = "{{ .Values.V }}/{{ .Stack.Name }}/{{ if .Values.E }}set{{ end }}"
        self.assertEqual(render.render_go_template(text, {"V": "1", "E": ""}, "s"), "1/s/")

    def test_go_template_errors(self):
        for text in ("{{ if .Values.X }}", "{{ end }}", "{{ range .Values.X }}{{ end }}",
                     "{{ .Stack.Name }}"):
            with self.assertRaises(render.RenderError, msg=text):
                render.render_go_template(text, {"X": "1"}, None)

    def test_notemplating_is_left_alone(self):
        text = "# notemplating\nx: '{{ y }}'\n"
        self.assertEqual(render.render_go_template(text, {}), text)

    def test_environment_forms(self):
        self.assertEqual(render.environment_of({"environment": ["A=1", "B=", "C=x=y"]}),
                         {"A": "1", "B": "", "C": "x=y"})
        self.assertEqual(render.environment_of({"environment": {"A": 1, "B": None}}),
                         {"A": "1", "B": ""})


class LayoutTests(unittest.TestCase):
    """The entry as catalog-service reads it (rancher-catalog.md §1-2)."""

    def test_entry_files(self):
        for name in ("config.yml", "catalogIcon-keepvip.svg", "0/docker-compose.yml",
                     "0/rancher-compose.yml", "0/README.md"):
            path = os.path.join(ENTRY, name)
            self.assertTrue(os.path.isfile(path), path)
            self.assertGreater(os.path.getsize(path), 0, path)

    def test_config_yml(self):
        config = yaml.safe_load(read(os.path.join(ENTRY, "config.yml")))
        for key in ("name", "description", "version", "category", "maintainer", "license"):
            self.assertIsInstance(config.get(key), str, key)
            self.assertTrue(config[key].strip(), key)
        self.assertEqual(config["name"], "keepvip")
        self.assertRegex(config["version"], r"^v?\d+\.\d+\.\d+$")

    def test_versions_agree(self):
        config = yaml.safe_load(read(os.path.join(ENTRY, "config.yml")))
        catalog = render.load_catalog(read(os.path.join(VERSION_DIR, "rancher-compose.yml")))
        self.assertEqual(catalog["version"], config["version"])
        self.assertEqual(catalog["name"], config["name"])
        # The image tag is the version this folder describes.
        image = keepvip_service(render_sample()[2])["image"]
        self.assertEqual(image, "keepvip/keepvip:" + config["version"].lstrip("v"))
        # ... and the version keepvip itself reports (CMake's project version).
        project = re.search(r"^project\(keepvip VERSION ([0-9.]+)",
                            read(os.path.join(REPO, "CMakeLists.txt")), re.M)
        self.assertIsNotNone(project)
        self.assertEqual(config["version"], "v" + project.group(1))

    def test_icon_is_svg(self):
        dom = xml.dom.minidom.parse(os.path.join(ENTRY, "catalogIcon-keepvip.svg"))
        self.assertEqual(dom.documentElement.tagName, "svg")

    def test_catalog_block(self):
        catalog = render.load_catalog(read(os.path.join(VERSION_DIR, "rancher-compose.yml")))
        self.assertEqual(catalog["name"], "keepvip")
        self.assertTrue(catalog.get("description"))
        # {{ .Stack.Name }} in docker-compose.yml is rendered from Rancher 1.6.6 on.
        self.assertEqual(catalog.get("minimum_rancher_version"), "v1.6.6")

    def test_readme_names_every_question(self):
        readme = read(os.path.join(VERSION_DIR, "README.md"))
        catalog = render.load_catalog(read(os.path.join(VERSION_DIR, "rancher-compose.yml")))
        for question in catalog["questions"]:
            self.assertIn(question["label"], readme, question["variable"])


class QuestionTests(unittest.TestCase):
    """Every .catalog question, field by field (rancher-catalog.md §3)."""

    @classmethod
    def setUpClass(cls):
        cls.docker_text = read(os.path.join(VERSION_DIR, "docker-compose.yml"))
        cls.rancher_text = read(os.path.join(VERSION_DIR, "rancher-compose.yml"))
        cls.questions = render.load_catalog(cls.rancher_text)["questions"]

    def test_required_questions_are_asked(self):
        variables = [q["variable"] for q in self.questions]
        self.assertEqual(len(variables), len(set(variables)), "duplicate variable")
        missing = (SEED_QUESTIONS | KEEPVIP_QUESTIONS) - set(variables)
        self.assertFalse(missing, "questions missing: %s" % sorted(missing))

    def test_every_question_has_its_fields(self):
        for q in self.questions:
            with self.subTest(question=q.get("variable")):
                self.assertFalse(set(q) - QUESTION_FIELDS, "unknown fields")
                self.assertRegex(q["variable"], r"^[A-Za-z_][A-Za-z0-9_]*$")
                for key in ("label", "description"):
                    self.assertIsInstance(q.get(key), str)
                    self.assertTrue(q[key].strip())
                self.assertIn(q.get("type"), QUESTION_TYPES)
                self.assertIsInstance(q.get("required"), bool)
                # Written quoted: catalog-service stores defaults as strings.
                self.assertIn("default", q)
                self.assertIsInstance(q["default"], str)
                if q["required"]:
                    self.assertTrue(q["default"], "a required question needs a default")

    def test_int_questions(self):
        for q in (q for q in self.questions if q["type"] == "int"):
            with self.subTest(question=q["variable"]):
                value = int(q["default"])
                self.assertIsInstance(q.get("min"), int)
                self.assertIsInstance(q.get("max"), int)
                self.assertLessEqual(q["min"], value)
                self.assertLessEqual(value, q["max"])

    def test_enum_questions(self):
        enums = [q for q in self.questions if q["type"] == "enum"]
        self.assertTrue(enums, "KEEPVIP_VRRP_VERSION is an enum")
        for q in enums:
            with self.subTest(question=q["variable"]):
                self.assertTrue(all(isinstance(o, str) for o in q["options"]))
                self.assertIn(q["default"], q["options"])

    def test_bounds_match_keepvip(self):
        bounds = {q["variable"]: (q.get("min"), q.get("max"), q.get("options"))
                  for q in self.questions}
        self.assertEqual(bounds["VRID"][:2], (1, 255))
        self.assertEqual(bounds["KEEPVIP_PRIORITY"][:2], (1, 254))
        self.assertEqual(bounds["KEEPVIP_ADVERT_MS"][:2], (10, 40950))
        self.assertEqual(bounds["CHECK_PORT"][:2], (1, 65535))
        self.assertEqual(sorted(bounds["KEEPVIP_VRRP_VERSION"][2]), ["2", "3"])

    def test_every_variable_is_asked_and_every_question_used(self):
        used = render.variables_used(self.docker_text) | render.variables_used(
            self.rancher_text)
        asked = {q["variable"] for q in self.questions}
        self.assertEqual(used - asked, set(), "variables without a question")
        self.assertEqual(asked - used, set(), "questions nobody uses")


class RenderedComposeTests(unittest.TestCase):
    """docker-compose.yml and rancher-compose.yml after Rancher's two passes."""

    @classmethod
    def setUpClass(cls):
        cls.defaults = render_sample()
        cls.sample = render_sample(SAMPLE_ANSWERS)

    def test_service_shape(self):
        for _, _, docker_doc, _ in (self.defaults, self.sample):
            self.assertEqual(str(docker_doc["version"]), "2")
            self.assertEqual(list(docker_doc["services"]), [SERVICE])
            service = keepvip_service(docker_doc)
            self.assertEqual(service["network_mode"], "host")
            self.assertEqual(sorted(service["cap_add"]), ["NET_ADMIN", "NET_RAW"])
            self.assertNotIn("privileged", service)
            labels = service["labels"]
            self.assertEqual(labels["io.rancher.scheduler.global"], "true")
            self.assertEqual(labels["io.rancher.container.dns"], "true")

    def test_environment_with_defaults(self):
        catalog, answers, docker_doc, _ = self.defaults
        env = render.environment_of(keepvip_service(docker_doc))
        for q in catalog["questions"]:
            if q["variable"] != "HOST_LABEL":
                self.assertEqual(env[q["variable"]], q["default"], q["variable"])
        self.assertEqual(env["KEEPVIP_ORCHESTRATOR"], "rancher")
        self.assertEqual(env["KEEPVIP_RANCHER_STACK"], STACK)
        self.assertEqual(env["KEEPVIP_RANCHER_SERVICE"], SERVICE)
        self.assertEqual(answers["HOST_LABEL"], "")

    def test_environment_with_sample_answers(self):
        _, _, docker_doc, _ = self.sample
        env = render.environment_of(keepvip_service(docker_doc))
        for name, value in SAMPLE_ANSWERS.items():
            if name != "HOST_LABEL":
                self.assertEqual(env[name], value, name)
        self.assertEqual(env["KEEPVIP_RANCHER_STACK"], STACK)

    def test_stack_name_follows_the_stack(self):
        _, _, docker_doc, _ = render_sample(stack="other-stack")
        env = render.environment_of(keepvip_service(docker_doc))
        self.assertEqual(env["KEEPVIP_RANCHER_STACK"], "other-stack")

    def test_host_label_only_when_answered(self):
        affinity = "io.rancher.scheduler.affinity:host_label"
        self.assertNotIn(affinity, keepvip_service(self.defaults[2])["labels"])
        self.assertEqual(keepvip_service(self.sample[2])["labels"][affinity], "lb=true")

    def test_rancher_compose(self):
        for _, _, _, rancher_doc in (self.defaults, self.sample):
            service = rancher_doc["services"][SERVICE]
            self.assertNotIn("scale", service, "a global service has no scale")
            self.assertIs(service["upgrade_strategy"]["start_first"], False)
            self.assertEqual(service["upgrade_strategy"]["batch_size"], 1)

    def test_compose_schema(self):
        try:
            import jsonschema
        except ImportError:
            self.fail("python3-jsonschema is not installed (scripts/setup.sh installs it)")
        with open(COMPOSE_SCHEMA, encoding="utf-8") as handle:
            schema = json.load(handle)
        for _, _, docker_doc, _ in (self.defaults, self.sample):
            jsonschema.validate(docker_doc, schema, cls=jsonschema.Draft7Validator)
        broken = render_sample()[2]
        keepvip_service(broken)["network_mode"] = ["host"]
        with self.assertRaises(jsonschema.ValidationError):
            jsonschema.validate(broken, schema, cls=jsonschema.Draft7Validator)


class KeepvipCheckTests(unittest.TestCase):
    """`keepvip check` with the environment the rendered template gives the container."""

    @classmethod
    def setUpClass(cls):
        if not os.access(KEEPVIP, os.X_OK):
            raise AssertionError("keepvip binary not found: %s" % KEEPVIP)

    def check_rendered(self, answers=None):
        _, _, docker_doc, _ = render_sample(answers)
        result = run_check(render.environment_of(keepvip_service(docker_doc)))
        return result

    def assert_passes(self, result):
        self.assertEqual(result.returncode, 0, "keepvip check failed:\n%s%s"
                         % (result.stderr, result.stdout))
        return effective_settings(result)

    def test_defaults_pass(self):
        settings = self.assert_passes(self.check_rendered())
        self.assertEqual(settings["orchestrator"], "rancher")
        self.assertEqual(settings["adapter"], "rancher")
        (instance,) = settings["instances"]
        self.assertEqual(instance["vips"], ["192.168.1.250/32"])
        self.assertEqual(instance["interface"], "auto")
        self.assertEqual((instance["vrid"], instance["priority"]), (51, 100))
        self.assertEqual((instance["advert_ms"], instance["version"]), (1000, 3))
        self.assertEqual([c["tcp"] for c in instance["checks"]], [80])
        self.assertEqual(instance["notify"], "")

    def test_sample_answers_pass(self):
        settings = self.assert_passes(self.check_rendered(SAMPLE_ANSWERS))
        (instance,) = settings["instances"]
        self.assertEqual(instance["vips"], ["10.20.0.100/24", "10.20.0.101/32"])
        self.assertEqual(instance["interface"], "ens192")
        self.assertEqual((instance["vrid"], instance["priority"]), (77, 150))
        self.assertEqual((instance["advert_ms"], instance["version"]), (2000, 2))
        self.assertEqual([c["tcp"] for c in instance["checks"]], [8443])
        self.assertEqual(instance["notify"], SAMPLE_ANSWERS["KEEPVIP_NOTIFY"])

    def test_ipv6_answers_pass(self):
        settings = self.assert_passes(self.check_rendered(
            {"VIRTUAL_IP": "fd00:20::100", "NETMASK_BIT": "64", "KEEPVIP_ADVERT_MS": "100"}))
        (instance,) = settings["instances"]
        self.assertEqual(instance["vips"], ["fd00:20::100/64"])
        self.assertEqual(instance["advert_ms"], 100)

    def test_bad_answers_fail_and_say_where(self):
        cases = {
            "VRID": ({"VRID": "300"}, "VRID"),
            "ADVERT_MS": ({"KEEPVIP_VRRP_VERSION": "2", "KEEPVIP_ADVERT_MS": "1500"},
                          "ADVERT_MS"),
            "VIRTUAL_IP": ({"VIRTUAL_IP": "10.0.0.1,fd00::1"}, "VIRTUAL_IP|VIPS"),
        }
        for name, (answers, pattern) in cases.items():
            with self.subTest(case=name):
                result = self.check_rendered(answers)
                self.assertEqual(result.returncode, 2, result.stdout)
                self.assertRegex(result.stderr, pattern)

    def test_seed_stack_runs_unchanged(self):
        """A stack written for the seed image passes only these five names."""
        result = run_check(SEED_STACK_ENV)
        settings = self.assert_passes(result)
        (instance,) = settings["instances"]
        self.assertEqual(instance["vips"], ["172.16.5.40/24"])
        self.assertEqual(instance["interface"], "eth0")
        self.assertEqual(instance["vrid"], 40)
        self.assertEqual([c["tcp"] for c in instance["checks"]], [80])


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        KEEPVIP = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
