"""deploy/: the Prometheus alert rules pass `promtool check rules` and their promtool unit tests
(each alert fires on the series that should trip it, and not on a healthy node), and every
metric the rules and the Grafana dashboard query is one the real binary exports (its /metrics
parsed by python3-prometheus-client's parser).
"""
import json
import os
import re
import shutil
import subprocess

import pytest
from prometheus_client.parser import text_string_to_metric_families

from harness import ROOT, herald_server

RULES = os.path.join(ROOT, "deploy", "prometheus", "herald-alerts.yml")
RULE_TESTS = os.path.join(ROOT, "deploy", "prometheus", "herald-alerts.test.yml")
DASHBOARD = os.path.join(ROOT, "deploy", "grafana", "herald-dashboard.json")
METRIC = re.compile(r"\bherald_[a-z_]+\b")


def promtool():
    p = shutil.which("promtool")
    if not p:
        pytest.fail("promtool not found: run scripts/install-deps (Debian package prometheus)")
    return p


def test_alert_rules_check_and_their_unit_tests_pass():
    r = subprocess.run([promtool(), "check", "rules", RULES], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "6 rules found" in r.stdout, r.stdout
    r = subprocess.run([promtool(), "test", "rules", RULE_TESTS], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS" in r.stdout, r.stdout


def exported_names():
    """Every sample name of /metrics, and every family name, from the real binary."""
    with herald_server("--threads", "2") as srv:
        status, _, body = srv.request("GET", "/metrics")
        assert status == 200
    names = set()
    for f in text_string_to_metric_families(body.decode()):
        names.add(f.name)
        names.update(s.name for s in f.samples)
    return names


def dashboard_exprs():
    with open(DASHBOARD) as f:
        dash = json.load(f)
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    exprs += [v["definition"] for v in dash["templating"]["list"] if "definition" in v]
    assert len(dash["panels"]) >= 10
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
    return exprs


def test_rules_and_dashboard_query_only_metrics_the_binary_exports():
    names = exported_names()
    with open(RULES) as f:
        rules = f.read()
    used = set(METRIC.findall(rules))
    for e in dashboard_exprs():
        used.update(METRIC.findall(e))
    assert len(used) >= 15, used
    missing = sorted(used - names)
    assert not missing, f"queried but not exported by /metrics: {missing}"
