"""The Grafana dashboard and the Prometheus alert rules shipped in ``ops/`` name only series the keeper
exports, and every alert links to a section of the operator's runbook that exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from prometheus_client.metrics_core import Metric

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "ops/grafana/keeper-dashboard.json"
ALERTS = ROOT / "ops/prometheus/keeper-alerts.yml"
RUNBOOK = ROOT / "docs/operator/runbook.md"
NAME = re.compile(r"\bdefi_int_[a-z0-9_]+\b")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def exported(state) -> set[str]:
    """Every sample name the keeper's /metrics can carry (labelled series included before their first value)."""
    names = set()
    family: Metric
    for family in state.metrics.registry.collect():
        names.update(family.name + suffix for suffix in SUFFIXES[family.type])
    return names


def named_in_dashboard() -> set[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    exprs = [target["expr"] for panel in panels for target in panel["targets"]]
    assert len(exprs) >= 12
    return {name for expr in exprs for name in NAME.findall(expr)}


def alert_rules() -> list[dict]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+ (.+)$", markdown, re.M)
    return {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in headings}


def test_every_series_the_dashboard_and_the_alerts_name_is_exported(state):
    names = exported(state)
    assert "defi_int_loop_events_total" in names and "defi_int_settle_latency_seconds_bucket" in names
    rules = alert_rules()
    assert len(rules) >= 10
    in_alerts = {name for rule in rules for name in NAME.findall(rule["expr"])}
    missing = (named_in_dashboard() | in_alerts) - names
    assert not missing, f"named in ops/ but not exported: {sorted(missing)}"


def test_every_alert_has_a_severity_a_summary_and_a_runbook_section():
    sections = anchors(RUNBOOK.read_text())
    for rule in alert_rules():
        assert rule["labels"]["severity"] in ("critical", "warning", "info"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        page, _, anchor = rule["annotations"]["runbook"].partition("#")
        assert page == "docs/operator/runbook.md" and anchor in sections, (rule["alert"], anchor)
