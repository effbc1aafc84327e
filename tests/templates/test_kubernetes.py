#!/usr/bin/env python3
"""test_kubernetes.py — kubernetes-templates/, checked the way kubectl and Rancher use it.

Usage: test_kubernetes.py [KEEPVIP_BINARY] [unittest options]
  (default binary: $KEEPVIP_BIN, else build/keepvip of this repository)

What is checked:
  * the schema validator itself (validate_k8s.mjs, the npm package kubernetes-models with the
    API's OpenAPI schemas) on known-good and known-bad manifests, so that a broken validator
    cannot make the checks below pass;
  * manifests/: every file parses and validates; kustomization.yaml lists exactly the files of
    the folder; `kubectl kustomize` renders them, and what it renders validates too;
  * the DaemonSet's shape: host network, ClusterFirstWithHostNet, NET_ADMIN + NET_RAW only
    (all others dropped, not privileged), POD_NAME / NODE_NAME / POD_NAMESPACE from the
    downward API, the seed's env names, probes that reach the status server (same host and
    port as KEEPVIP_STATUS_ADDR), a grace period for the priority-0 goodbye, RollingUpdate
    with maxUnavailable 1, requests and limits, KEEPVIP_ORCHESTRATOR=kubernetes, the image of
    templates/keepvip; and `keepvip check` takes its env;
  * RBAC: every API call the adapter makes (get, list, watch pods in its namespace; get, list,
    watch nodes) is granted to the DaemonSet's service account, and nothing more than reading;
  * keepvip/ (Rancher 1.2-1.3 kubernetes-catalog form): layout, config.yml, .catalog only in
    rancher-compose.yml, every ${VAR} answered by a question and every question used, each
    inside a quoted string (text substitution and value substitution agree); rendered with
    the defaults and with sample answers it validates, and is the same entry as manifests/.
Needs: python3-yaml, kubectl (kubernetes-client), node + `npm ci` in tests/templates.
"""

import copy
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import render  # noqa: E402  (the module next to this file)

REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
TEMPLATES = os.path.join(REPO, "kubernetes-templates")
MANIFESTS = os.path.join(TEMPLATES, "manifests")
ENTRY = os.path.join(TEMPLATES, "keepvip")
VERSION_DIR = os.path.join(ENTRY, "0")
VALIDATOR = os.path.join(HERE, "validate_k8s.mjs")
KEEPVIP = os.environ.get("KEEPVIP_BIN", os.path.join(REPO, "build", "keepvip"))

SEED_ENV = ("VIRTUAL_IP", "NETMASK_BIT", "CHECK_PORT", "INTERFACE", "VRID")
DOWNWARD = {"POD_NAME": "metadata.name", "NODE_NAME": "spec.nodeName",
            "POD_NAMESPACE": "metadata.namespace"}
CONTROLLER_LABELS = {"controller-revision-hash", "pod-template-generation", "pod-template-hash"}
KINDS = {"Namespace", "ServiceAccount", "Role", "RoleBinding", "ClusterRole",
         "ClusterRoleBinding", "DaemonSet"}
READ_VERBS = {"get", "list", "watch"}

# The API calls of the Kubernetes adapter (issue 9, ../shared/reference/kubernetes-api.md):
# (verb, API group, resource, namespaced). Own pod: get; peers: list + watch in the
# namespace; own Node: get, and a watch with fieldSelector metadata.name (list + watch).
ADAPTER_CALLS = [
    ("get", "", "pods", True), ("list", "", "pods", True), ("watch", "", "pods", True),
    ("get", "", "nodes", False), ("list", "", "nodes", False), ("watch", "", "nodes", False),
]

SAMPLE_ANSWERS = {
    "VIRTUAL_IP": "10.20.0.100,10.20.0.101/32",
    "NETMASK_BIT": "24",
    "CHECK_PORT": "8443",
    "INTERFACE": "ens192: #1",  # ": " and " #" must not break the YAML
    "VRID": "77",
    "KEEPVIP_PRIORITY": "150",
    "NAMESPACE": "edge-lb",
}


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def load_docs(text):
    return [doc for doc in yaml.safe_load_all(text) if doc is not None]


def manifest_files(folder):
    return sorted(glob.glob(os.path.join(folder, "*.yaml")) +
                  glob.glob(os.path.join(folder, "*.yml")))


def plain_files():
    return [f for f in manifest_files(MANIFESTS) if os.path.basename(f) != "kustomization.yaml"]


def plain_docs():
    docs = []
    for path in plain_files():
        docs.extend(load_docs(read(path)))
    return docs


def only(docs, kind):
    found = [d for d in docs if d.get("kind") == kind]
    if len(found) != 1:
        raise AssertionError("expected one %s, found %d" % (kind, len(found)))
    return found[0]


def validate(paths_or_text):
    """Runs the validator on files (a list) or on YAML text; returns (exit code, output)."""
    if isinstance(paths_or_text, str):
        args, stdin = ["-"], paths_or_text
    else:
        args, stdin = list(paths_or_text), None
    result = subprocess.run(["node", VALIDATOR] + args, input=stdin, capture_output=True,
                            text=True, timeout=120, check=False)
    return result.returncode, result.stdout + result.stderr


def container(daemonset):
    (box,) = daemonset["spec"]["template"]["spec"]["containers"]
    return box


def env_of(box):
    return {e["name"]: e for e in box.get("env", [])}


# ---------------------------------------------------------------------------------------------
# The Rancher form's rendering: answers substituted in the raw text (Rancher 1.2-1.3 hands the
# manifests to Kubernetes with ${VAR} replaced), and the same by value for comparison.

def catalog():
    return render.load_catalog(read(os.path.join(VERSION_DIR, "rancher-compose.yml")))


def answers_with(overrides=None):
    used = render.default_answers(catalog().get("questions") or [])
    used.update(overrides or {})
    return used


def substitute_text(text, answers):
    return render.INTERPOLATION.sub(
        lambda m: "$" if m.group(1) else answers.get(m.group(2) or m.group(3) or "", ""), text)


def render_catalog(answers):
    """{file name: rendered text} of every manifest of the version folder."""
    return {os.path.basename(path): substitute_text(read(path), answers)
            for path in manifest_files(VERSION_DIR)
            if os.path.basename(path) != "rancher-compose.yml"}


def run_check(env):
    full = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    full.update(env)
    for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if var in os.environ:
            full[var] = os.environ[var]
    return subprocess.run([KEEPVIP, "check"], env=full, capture_output=True, text=True,
                          timeout=30, check=False)


# ---------------------------------------------------------------------------------------------

class ValidatorTests(unittest.TestCase):
    """The validator on known inputs: if these fail, nothing below can be trusted."""

    GOOD = ("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a, namespace: b}\n---\n"
            "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: d}\nspec:\n"
            "  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n"
            "    spec: {containers: [{name: c, image: i}]}\n")

    @classmethod
    def setUpClass(cls):
        if shutil.which("node") is None:
            raise AssertionError("node not found: run scripts/setup.sh")
        if not os.path.isdir(os.path.join(HERE, "node_modules", "kubernetes-models")):
            raise AssertionError("kubernetes-models not installed: run scripts/setup.sh "
                                 "(npm ci in tests/templates)")

    def test_accepts_valid(self):
        code, out = validate(self.GOOD)
        self.assertEqual(code, 0, out)
        self.assertEqual(out.count("\nok ") + out.startswith("ok "), 2, out)

    def test_rejects_invalid(self):
        cases = {
            "wrong type": self.GOOD.replace("image: i", "image: i, ports: [{containerPort: x}]"),
            "missing required": self.GOOD.replace("name: c, ", ""),
            "bad enum": self.GOOD.replace("spec: {containers",
                                          "spec: {dnsPolicy: Sometimes, containers"),
            "unknown kind": self.GOOD.replace("kind: ServiceAccount", "kind: ServiceAcount"),
            "no kind": "apiVersion: v1\nmetadata: {name: a}\n",
            "duplicate key": "apiVersion: v1\nkind: Namespace\nkind: Namespace\n"
                             "metadata: {name: a}\n",
            "not YAML": "apiVersion: v1\nkind: [Namespace\n",
        }
        for name, text in cases.items():
            with self.subTest(case=name):
                code, out = validate(text)
                self.assertEqual(code, 1, out)
                self.assertIn("error", out)


class ManifestTests(unittest.TestCase):
    """manifests/: valid, complete, and rendered by kubectl kustomize."""

    def test_every_manifest_validates(self):
        code, out = validate(plain_files())
        self.assertEqual(code, 0, out)
        self.assertEqual(len(re.findall(r"^ok ", out, re.M)), len(plain_docs()), out)

    def test_kinds(self):
        self.assertEqual(sorted(d["kind"] for d in plain_docs()), sorted(KINDS))

    def test_kustomization_lists_the_folder(self):
        kustomization = yaml.safe_load(read(os.path.join(MANIFESTS, "kustomization.yaml")))
        self.assertEqual(kustomization["kind"], "Kustomization")
        self.assertEqual(sorted(kustomization["resources"]),
                         sorted(os.path.basename(f) for f in plain_files()))

    def test_kubectl_kustomize_renders(self):
        self.assertIsNotNone(shutil.which("kubectl"), "kubectl not found: run scripts/setup.sh")
        result = subprocess.run(["kubectl", "kustomize", MANIFESTS], capture_output=True,
                                text=True, timeout=120, check=False)
        self.assertEqual(result.returncode, 0, result.stderr)
        rendered = load_docs(result.stdout)
        self.assertEqual(sorted(d["kind"] for d in rendered), sorted(KINDS))
        code, out = validate(result.stdout)
        self.assertEqual(code, 0, out)

    def test_namespaced_objects_share_the_namespace(self):
        docs = plain_docs()
        namespace = only(docs, "Namespace")["metadata"]["name"]
        for doc in docs:
            if doc["kind"] in ("Namespace", "ClusterRole", "ClusterRoleBinding"):
                self.assertNotIn("namespace", doc["metadata"], doc["kind"])
            else:
                self.assertEqual(doc["metadata"].get("namespace"), namespace, doc["kind"])


class DaemonSetShape:
    """The DaemonSet's shape; mixed into a test case that sets self.docs."""

    docs = None

    def daemonset(self):
        return only(self.docs, "DaemonSet")

    def test_host_network_and_dns(self):
        spec = self.daemonset()["spec"]["template"]["spec"]
        self.assertIs(spec.get("hostNetwork"), True)
        self.assertEqual(spec.get("dnsPolicy"), "ClusterFirstWithHostNet")

    def test_capabilities_only_net_admin_and_net_raw(self):
        sc = container(self.daemonset()).get("securityContext", {})
        self.assertEqual(sorted(sc["capabilities"]["add"]), ["NET_ADMIN", "NET_RAW"])
        self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
        self.assertIsNot(sc.get("privileged"), True)
        self.assertIs(sc.get("allowPrivilegeEscalation"), False)
        pod_sc = self.daemonset()["spec"]["template"]["spec"].get("securityContext", {})
        self.assertNotIn("privileged", pod_sc)

    def test_downward_api(self):
        env = env_of(container(self.daemonset()))
        for name, path in DOWNWARD.items():
            with self.subTest(env=name):
                self.assertEqual(env[name]["valueFrom"]["fieldRef"]["fieldPath"], path)

    def test_knobs_and_orchestrator(self):
        env = env_of(container(self.daemonset()))
        for name in SEED_ENV + ("KEEPVIP_PRIORITY",):
            with self.subTest(env=name):
                self.assertIsInstance(env[name].get("value"), str)
        self.assertEqual(env["KEEPVIP_ORCHESTRATOR"]["value"], "kubernetes")

    def test_probes_reach_the_status_server(self):
        box = container(self.daemonset())
        status_addr = env_of(box).get("KEEPVIP_STATUS_ADDR", {}).get("value", "127.0.0.1:9650")
        host, _, port = status_addr.rpartition(":")
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            with self.subTest(probe=probe):
                get = box[probe]["httpGet"]
                self.assertEqual(get["path"], path)
                self.assertEqual(str(get["port"]), port)
                # host network: without host the kubelet asks the pod IP (the node's), where a
                # loopback status server does not listen
                self.assertEqual(get.get("host"), host.strip("[]"))

    def test_grace_period_lets_the_goodbye_out(self):
        grace = self.daemonset()["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        self.assertGreaterEqual(grace, 5)  # SIGTERM: priority 0 and exit within a second
        self.assertLessEqual(grace, 60)

    def test_rolling_update_one_node_at_a_time(self):
        strategy = self.daemonset()["spec"]["updateStrategy"]
        self.assertEqual(strategy["type"], "RollingUpdate")
        self.assertEqual(strategy["rollingUpdate"]["maxUnavailable"], 1)
        self.assertEqual(strategy["rollingUpdate"].get("maxSurge", 0), 0)

    def test_requests_and_limits(self):
        resources = container(self.daemonset())["resources"]
        for part in ("requests", "limits"):
            for what in ("cpu", "memory"):
                with self.subTest(part=part, what=what):
                    self.assertIn(what, resources[part])

    def test_image_is_the_catalog_image(self):
        compose = read(os.path.join(REPO, "templates", "keepvip", "0", "docker-compose.yml"))
        (image,) = re.findall(r"^\s*image:\s*(\S+)", compose, re.M)
        self.assertEqual(container(self.daemonset())["image"], image)

    def test_selector_is_the_default_one(self):
        ds = self.daemonset()
        labels = ds["spec"]["template"]["metadata"]["labels"]
        self.assertEqual(ds["spec"]["selector"]["matchLabels"], labels)
        self.assertFalse(CONTROLLER_LABELS & set(labels))
        self.assertEqual(ds["spec"]["template"]["spec"]["serviceAccountName"],
                         only(self.docs, "ServiceAccount")["metadata"]["name"])

    # -- RBAC ----------------------------------------------------------------------------------

    def granted(self, verb, group, resource, namespaced):
        """True when the DaemonSet's service account may make this call."""
        ds = self.daemonset()
        account = (ds["spec"]["template"]["spec"]["serviceAccountName"],
                   ds["metadata"]["namespace"])
        roles = {(d["kind"], d["metadata"]["name"], d["metadata"].get("namespace")): d
                 for d in self.docs if d["kind"] in ("Role", "ClusterRole")}
        for binding in self.docs:
            if binding["kind"] not in ("RoleBinding", "ClusterRoleBinding"):
                continue
            if binding["kind"] == "RoleBinding" and (
                    not namespaced or binding["metadata"]["namespace"] != account[1]):
                continue
            if not any(s.get("kind") == "ServiceAccount" and
                       (s.get("name"), s.get("namespace")) == account
                       for s in binding.get("subjects", [])):
                continue
            ref = binding["roleRef"]
            scope = binding["metadata"].get("namespace") if ref["kind"] == "Role" else None
            role = roles.get((ref["kind"], ref["name"], scope))
            for rule in (role or {}).get("rules", []):
                if (set(rule.get("apiGroups", [])) & {group, "*"} and
                        set(rule.get("resources", [])) & {resource, "*"} and
                        set(rule.get("verbs", [])) & {verb, "*"}):
                    return True
        return False

    def test_rbac_covers_every_adapter_call(self):
        for call in ADAPTER_CALLS:
            with self.subTest(call=call):
                self.assertTrue(self.granted(*call), "not granted: %s %s" % (call[0], call[2]))

    def test_rbac_only_reads(self):
        for role in (d for d in self.docs if d["kind"] in ("Role", "ClusterRole")):
            for rule in role["rules"]:
                self.assertLessEqual(set(rule["verbs"]), READ_VERBS, role["kind"])
                self.assertLessEqual(set(rule["resources"]), {"pods", "nodes"}, role["kind"])


class PlainDaemonSetTests(DaemonSetShape, unittest.TestCase):
    """manifests/ as `kubectl apply -k` applies it."""

    def setUp(self):
        self.docs = plain_docs()

    def test_keepvip_check_takes_its_env(self):
        """The literal env of the DaemonSet, plus what Kubernetes gives the pod (service env,
        downward API, the service account's files), is valid keepvip settings with the
        kubernetes adapter; the API is not there (nothing listens): check still prints the
        settings, and a token given in the env is masked."""
        env = {name: e["value"] for name, e in env_of(container(self.daemonset())).items()
               if "value" in e}
        self.assertEqual(env["KEEPVIP_ORCHESTRATOR"], "kubernetes")
        secret = "eyJhbGciOiJSUzI1NiJ9.check-must-mask-me.c2ln"
        with tempfile.TemporaryDirectory() as sa:
            for name, text in (("token", secret + "\n"), ("namespace", "keepvip-system"),
                               ("ca.crt", "")):
                with open(os.path.join(sa, name), "w", encoding="utf-8") as handle:
                    handle.write(text)
            env.update({"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "1",
                        "POD_NAME": "keepvip-8qcr6", "NODE_NAME": "node-a",
                        "POD_NAMESPACE": "keepvip-system", "HOSTNAME": "node-a",
                        "KEEPVIP_K8S_TOKEN_FILE": os.path.join(sa, "token"),
                        "KEEPVIP_K8S_CA_FILE": os.path.join(sa, "ca.crt")})
            result = run_check(env)
            with_token = run_check(dict(env, KEEPVIP_K8S_TOKEN=secret))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("adapter: kubernetes", result.stdout)
        self.assertEqual(with_token.returncode, 0, with_token.stderr)
        self.assertIn('k8s_token: "***"', with_token.stdout)
        for out in (result, with_token):
            self.assertNotIn(secret, out.stdout + out.stderr)
        settings = yaml.safe_load(result.stdout)
        (instance,) = settings["instances"]
        self.assertEqual(instance["vips"], ["192.168.1.250/32"])
        self.assertEqual(instance["vrid"], 51)
        self.assertEqual([c["tcp"] for c in instance["checks"]], [80])
        self.assertEqual(settings["status_addr"], env["KEEPVIP_STATUS_ADDR"])


class CatalogTests(unittest.TestCase):
    """keepvip/: the Rancher 1.2-1.3 kubernetes-catalog form."""

    def test_layout(self):
        self.assertTrue(os.path.isfile(os.path.join(ENTRY, "config.yml")))
        self.assertTrue(glob.glob(os.path.join(ENTRY, "catalogIcon-*")))
        names = set(os.listdir(VERSION_DIR))
        self.assertIn("rancher-compose.yml", names)
        self.assertNotIn("docker-compose.yml", names)
        self.assertTrue(any(n.endswith(".yaml") for n in names))

    def test_config(self):
        config = yaml.safe_load(read(os.path.join(ENTRY, "config.yml")))
        for key in ("name", "description", "version", "category"):
            self.assertTrue(config.get(key), key)
        self.assertEqual(config["version"], catalog()["version"])

    def test_rancher_compose_holds_only_the_catalog(self):
        doc = yaml.safe_load(read(os.path.join(VERSION_DIR, "rancher-compose.yml")))
        self.assertEqual(set(doc), {".catalog"})
        self.assertEqual(catalog()["maximum_rancher_version"], "v1.3.99")

    def test_questions(self):
        for q in catalog()["questions"]:
            with self.subTest(question=q.get("variable")):
                self.assertTrue(q.get("label") and q.get("description"))
                self.assertIn(q["type"], ("string", "int", "enum"))
                self.assertIsInstance(q.get("default"), str)
                if q["type"] == "int":
                    self.assertLessEqual(q["min"], int(q["default"]))
                    self.assertLessEqual(int(q["default"]), q["max"])
        variables = {q["variable"] for q in catalog()["questions"]}
        self.assertLessEqual(set(SEED_ENV), variables)

    def test_every_variable_is_answered_and_every_question_used(self):
        used = set()
        for path in manifest_files(VERSION_DIR):
            if os.path.basename(path) != "rancher-compose.yml":
                used |= render.variables_used(read(path))
        asked = {q["variable"] for q in catalog()["questions"]}
        self.assertEqual(used - asked, set(), "asked by no question")
        self.assertEqual(asked - used, set(), "questions used nowhere")

    def test_text_and_value_substitution_agree(self):
        """Each ${VAR} sits inside a quoted string: an answer cannot change the YAML shape."""
        for answers in (answers_with(), answers_with(SAMPLE_ANSWERS)):
            for name, text in render_catalog(answers).items():
                with self.subTest(file=name, answers=answers["VIRTUAL_IP"]):
                    raw = load_docs(read(os.path.join(VERSION_DIR, name)))
                    self.assertEqual(load_docs(text), render.interpolate(raw, answers))

    def test_rendered_validates(self):
        for answers in (answers_with(), answers_with(SAMPLE_ANSWERS)):
            with self.subTest(answers=answers["VIRTUAL_IP"]):
                code, out = validate("\n---\n".join(render_catalog(answers).values()))
                self.assertEqual(code, 0, out)

    def test_sample_answers_reach_the_daemonset(self):
        docs = []
        for text in render_catalog(answers_with(SAMPLE_ANSWERS)).values():
            docs.extend(load_docs(text))
        env = env_of(container(only(docs, "DaemonSet")))
        for name in SEED_ENV + ("KEEPVIP_PRIORITY",):
            self.assertEqual(env[name]["value"], SAMPLE_ANSWERS[name])
        for doc in docs:
            if doc["kind"] not in ("ClusterRole", "ClusterRoleBinding"):
                self.assertEqual(doc["metadata"]["namespace"], "edge-lb", doc["kind"])

    def test_same_entry_as_the_manifests(self):
        """Rendered into keepvip-system with the defaults, the form is manifests/ less the
        Namespace (Rancher installs into one that exists)."""
        docs = []
        for text in render_catalog(answers_with({"NAMESPACE": "keepvip-system"})).values():
            docs.extend(load_docs(text))
        key = lambda d: (d["kind"], d["metadata"]["name"])  # noqa: E731
        plain = [d for d in plain_docs() if d["kind"] != "Namespace"]
        self.assertEqual(sorted(docs, key=key), sorted(plain, key=key))


class CatalogDaemonSetTests(DaemonSetShape, unittest.TestCase):
    """The catalog form rendered with sample answers keeps the DaemonSet's shape and RBAC."""

    def setUp(self):
        self.docs = []
        for text in render_catalog(answers_with(SAMPLE_ANSWERS)).values():
            self.docs.extend(load_docs(text))


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        KEEPVIP = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
