#!/usr/bin/env python3
"""test_monitoring.py — keepvip's alerting rules and Grafana dashboard, plain and for the
Prometheus operator.

Usage: test_monitoring.py [KEEPVIP_BINARY] [unittest options]
       test_monitoring.py --sync   (rewrites the operator copies from the plain files)

What is checked:
  * monitoring/keepvip.rules.yml passes `promtool check rules` (its behaviour is tested by
    `promtool test rules monitoring/keepvip.rules.test.yml`, ctest templates.monitoring_rules);
  * every metric the rules and the dashboard query is one keepvip serves on /metrics (the
    names in core/status/*.c);
  * monitoring/keepvip-dashboard.json parses, every panel queries the datasource variable,
    ids are unique, the grid fits 24 columns, and each query is valid PromQL (promtool, with
    Grafana's variables replaced);
  * kubernetes-templates/monitoring/: prometheusrule.yaml's spec.groups are the plain rules
    (parsed, equal), dashboard-configmap.yaml holds the plain dashboard (parsed, equal) with
    Grafana's sidecar label, podmonitor.yaml selects the DaemonSet's pods on a port the
    container declares; all three validate against the operator's schemas (validate_k8s.mjs,
    @kubernetes-models/prometheus-operator); `kubectl kustomize` renders the overlay with the
    status server open on the port the PodMonitor scrapes and the probes still answered, and
    `keepvip check` accepts that status address; manifests/ stays free of operator kinds.
Needs: promtool (prometheus), kubectl, node + `npm ci` in tests/templates, python3-yaml.
"""

import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
PLAIN = os.path.join(REPO, "monitoring")
RULES = os.path.join(PLAIN, "keepvip.rules.yml")
DASHBOARD = os.path.join(PLAIN, "keepvip-dashboard.json")
OPERATOR = os.path.join(REPO, "kubernetes-templates", "monitoring")
MANIFESTS = os.path.join(REPO, "kubernetes-templates", "manifests")
PROMRULE = os.path.join(OPERATOR, "prometheusrule.yaml")
CONFIGMAP = os.path.join(OPERATOR, "dashboard-configmap.yaml")
PODMONITOR = os.path.join(OPERATOR, "podmonitor.yaml")
VALIDATOR = os.path.join(HERE, "validate_k8s.mjs")
KEEPVIP = os.environ.get("KEEPVIP_BIN", os.path.join(REPO, "build", "keepvip"))
NAMESPACE = "keepvip-system"
DASHBOARD_KEY = "keepvip-dashboard.json"

# Metrics the rules may name before the code serves them (another branch on its way); accepted
# only while no source file names them. Empty: everything queried is served.
PENDING = set()
METRIC = re.compile(r"\bkeepvip_[a-z_]+[a-z]\b")


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


def served_metrics():
    names = set()
    for path in glob.glob(os.path.join(REPO, "core", "status", "*.c")):
        with open(path, encoding="utf-8") as f:
            names |= set(re.findall(r'"(keepvip_[a-z_]+)"', f.read()))
    return names


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def dashboard_exprs(dash):
    return [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]


def promql_of_grafana(expr):
    """A Grafana query as plain PromQL: its variables replaced by what they stand for."""
    return (expr.replace("$__rate_interval", "5m").replace("$__interval", "1m")
            .replace("$job", ".*").replace("$node", ".*"))


def promtool_check_rules(doc):
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        yaml.safe_dump(doc, f)
    try:
        return run(["promtool", "check", "rules", f.name])
    finally:
        os.unlink(f.name)


# ---- the operator copies, written from the plain files (--sync) ---------------------------

def prometheusrule_text():
    with open(RULES, encoding="utf-8") as f:
        plain = f.read()
    body = plain[plain.index("\ngroups:\n") + 1:]
    return ("# keepvip's alerting rules for the Prometheus operator: spec is monitoring/keepvip.rules.yml\n"
            "# (written by tests/templates/test_monitoring.py --sync; the template test keeps them equal).\n"
            "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n"
            "  name: keepvip\n  namespace: %s\n  labels:\n    app.kubernetes.io/name: keepvip\n"
            "    prometheus: k8s\n    role: alert-rules\nspec:\n" % NAMESPACE
            + "".join("  " + line if line.strip() else line for line in body.splitlines(True)))


def configmap_text():
    with open(DASHBOARD, encoding="utf-8") as f:
        text = f.read()
    return ("# keepvip's Grafana dashboard for Grafana's dashboard sidecar (label grafana_dashboard):\n"
            "# monitoring/keepvip-dashboard.json (written by tests/templates/test_monitoring.py --sync;\n"
            "# the template test keeps them equal).\n"
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keepvip-dashboard\n"
            "  namespace: %s\n  labels:\n    app.kubernetes.io/name: keepvip\n"
            "    grafana_dashboard: \"1\"\ndata:\n  %s: |\n" % (NAMESPACE, DASHBOARD_KEY)
            + "".join("    " + line if line.strip() else line for line in text.splitlines(True)))


def sync():
    for path, text in ((PROMRULE, prometheusrule_text()), (CONFIGMAP, configmap_text())):
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        print("wrote", os.path.relpath(path, REPO))


# ---- tests --------------------------------------------------------------------------------

class PlainRules(unittest.TestCase):
    def test_promtool_check(self):
        out = run(["promtool", "check", "rules", RULES])
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("SUCCESS", out.stdout)

    def test_alerts_present(self):
        alerts = {r["alert"] for g in load_yaml(RULES)["groups"] for r in g["rules"]}
        self.assertTrue({"KeepvipNoMaster", "KeepvipSplitBrain", "KeepvipFlapping",
                         "KeepvipVridConflict", "KeepvipAddressConflict",
                         "KeepvipAdapterFailing"} <= alerts, alerts)
        for g in load_yaml(RULES)["groups"]:
            for r in g["rules"]:
                self.assertIn(r["labels"]["severity"], ("warning", "critical"), r["alert"])
                self.assertTrue(r["annotations"]["summary"] and r["annotations"]["description"])

    def test_rules_query_served_metrics(self):
        served = served_metrics()
        self.assertIn("keepvip_instance_state", served)  # the scan itself works
        named = set()
        for g in load_yaml(RULES)["groups"]:
            for r in g["rules"]:
                named |= set(METRIC.findall(r["expr"]))
        pending = PENDING - served
        self.assertEqual(named - served - pending, set())


class Dashboard(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dash = load_json(DASHBOARD)

    def test_shape(self):
        self.assertEqual(self.dash["uid"], "keepvip")
        ids = [p["id"] for p in self.dash["panels"]]
        self.assertEqual(len(ids), len(set(ids)))
        names = {v["name"] for v in self.dash["templating"]["list"]}
        self.assertTrue({"datasource", "job", "node"} <= names)
        for p in self.dash["panels"]:
            g = p["gridPos"]
            self.assertLessEqual(g["x"] + g["w"], 24, p["title"])
            self.assertEqual(p["datasource"]["uid"], "${datasource}", p["title"])
            self.assertTrue(p["targets"], p["title"])
            for t in p["targets"]:
                self.assertEqual(t["datasource"]["uid"], "${datasource}", p["title"])

    def test_panels_cover_the_brief(self):
        text = json.dumps(self.dash)
        for metric in ("keepvip_instance_state", "keepvip_transitions_total",
                       "keepvip_advert_rejects_total", "keepvip_adapter_errors_total",
                       "keepvip_adapter_updates_total"):
            self.assertIn(metric, text)

    def test_queries_name_served_metrics(self):
        served = served_metrics()
        named = set()
        for expr in dashboard_exprs(self.dash):
            named |= set(METRIC.findall(expr))
        self.assertEqual(named - served - (PENDING - served), set())

    def test_queries_are_promql(self):
        rules = [{"record": "keepvip:dashboard_query_%d" % i, "expr": promql_of_grafana(e)}
                 for i, e in enumerate(dashboard_exprs(self.dash))]
        out = promtool_check_rules({"groups": [{"name": "dashboard", "rules": rules}]})
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        # and promtool does say no to a broken query
        bad = promtool_check_rules({"groups": [{"name": "bad", "rules": [
            {"record": "keepvip:bad", "expr": "sum by (instance (keepvip_up)"}]}]})
        self.assertNotEqual(bad.returncode, 0)


class Operator(unittest.TestCase):
    def validate(self, *paths):
        out = run(["node", VALIDATOR, *paths], cwd=HERE)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        return out.stdout

    def test_validator_knows_the_operator_kinds(self):
        bad = ("apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: x}\n"
               "spec:\n  groups: [{name: g, rules: [{alert: A, expr: 1, for: soon}]}]\n")
        out = run(["node", VALIDATOR, "-"], input=bad, cwd=HERE)
        self.assertNotEqual(out.returncode, 0, out.stdout)

    def test_prometheusrule_is_the_plain_rules(self):
        doc = load_yaml(PROMRULE)
        self.assertEqual((doc["apiVersion"], doc["kind"]), ("monitoring.coreos.com/v1", "PrometheusRule"))
        self.assertEqual(doc["metadata"]["namespace"], NAMESPACE)
        self.assertEqual(doc["spec"]["groups"], load_yaml(RULES)["groups"],
                         "differs from monitoring/keepvip.rules.yml: run %s --sync" % __file__)
        out = promtool_check_rules(doc["spec"])
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("PrometheusRule/keepvip", self.validate(PROMRULE))

    def test_configmap_is_the_plain_dashboard(self):
        doc = load_yaml(CONFIGMAP)
        self.assertEqual((doc["apiVersion"], doc["kind"]), ("v1", "ConfigMap"))
        self.assertEqual(doc["metadata"]["labels"].get("grafana_dashboard"), "1")
        self.assertEqual(json.loads(doc["data"][DASHBOARD_KEY]), load_json(DASHBOARD),
                         "differs from monitoring/keepvip-dashboard.json: run %s --sync" % __file__)
        self.validate(CONFIGMAP)

    def test_kustomize_overlay(self):
        out = run(["kubectl", "kustomize", OPERATOR])
        self.assertEqual(out.returncode, 0, out.stderr)
        docs = [d for d in yaml.safe_load_all(out.stdout) if d]
        kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
        self.assertTrue({("PodMonitor", "keepvip"), ("PrometheusRule", "keepvip"),
                         ("ConfigMap", "keepvip-dashboard"), ("DaemonSet", "keepvip")} <= kinds)
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(out.stdout)
        try:
            self.validate(f.name)
        finally:
            os.unlink(f.name)
        ds = next(d for d in docs if d["kind"] == "DaemonSet")
        pm = next(d for d in docs if d["kind"] == "PodMonitor")
        pod = ds["spec"]["template"]
        c = next(c for c in pod["spec"]["containers"] if c["name"] == "keepvip")
        env = {e["name"]: e.get("value") for e in c["env"]}
        host, port = env["KEEPVIP_STATUS_ADDR"].rsplit(":", 1)
        self.assertEqual(host, "0.0.0.0")  # reachable at the node's (pod's) address
        ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
        endpoint = pm["spec"]["podMetricsEndpoints"][0]
        self.assertEqual(ports.get(endpoint["port"]), int(port))
        self.assertEqual(endpoint.get("path", "/metrics"), "/metrics")
        for label, value in pm["spec"]["selector"]["matchLabels"].items():
            self.assertEqual(pod["metadata"]["labels"].get(label), value)
        self.assertEqual(pm["metadata"]["namespace"], ds["metadata"]["namespace"])
        for probe in ("livenessProbe", "readinessProbe"):  # 0.0.0.0 includes 127.0.0.1
            self.assertEqual(c[probe]["httpGet"]["host"], "127.0.0.1")
            self.assertEqual(c[probe]["httpGet"]["port"], int(port))
        self.assertEqual(len([d for d in docs if d["kind"] == "DaemonSet"]), 1)
        check = run([KEEPVIP, "check"], env={"PATH": "/usr/bin:/bin", "KEEPVIP_VIPS": "192.168.1.250",
                                           "KEEPVIP_ORCHESTRATOR": "static",
                                           "KEEPVIP_STATUS_ADDR": env["KEEPVIP_STATUS_ADDR"]})
        self.assertEqual(check.returncode, 0, check.stderr)

    def test_plain_manifests_stay_plain(self):
        out = run(["kubectl", "kustomize", MANIFESTS])
        self.assertEqual(out.returncode, 0, out.stderr)
        for d in yaml.safe_load_all(out.stdout):
            if d:
                self.assertNotIn("monitoring.coreos.com", d["apiVersion"], d["kind"])


if __name__ == "__main__":
    if "--sync" in sys.argv:
        sync()
        sys.exit(0)
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        KEEPVIP = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
