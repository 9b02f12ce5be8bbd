"""The chart's dashboard and alert rules use only metrics the services actually export.

Names come from a live scrape of every service; Prometheus (the one scraping the fleet) is asked
whether each expression parses, and evaluates the chart's rules against the fleet's series.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
import yaml

from tests.observability.conftest import ROOT, SERVICES, Prometheus, job, rule_files, scrape
from tests.observability.promql import BUILTIN_SERIES, exported_names, grafana_queries, metric_names

GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "5m"}


def dashboards() -> list[Path]:
    return sorted(p for p in (ROOT / "charts").glob("**/dashboards/*.json"))


def rule_expressions() -> dict[str, str]:
    exprs = {}
    for path in rule_files():
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                exprs[f"{path.name}:{rule.get('alert') or rule.get('record')}"] = rule["expr"]
    return exprs


def recorded_names() -> set[str]:
    names = set()
    for path in rule_files():
        for group in yaml.safe_load(path.read_text())["groups"]:
            names |= {r["record"] for r in group["rules"] if "record" in r}
    return names


@pytest.fixture(scope="module")
def exported(fleet) -> set[str]:
    return exported_names(scrape(fleet, service) for service in SERVICES) | BUILTIN_SERIES


def test_the_chart_ships_a_dashboard_and_rules():
    assert dashboards(), "no Grafana dashboard JSON under charts/**/dashboards/"
    assert rule_files(), "no rendered alert rules: run `make chart-rules` first"


@pytest.mark.parametrize("path", dashboards(), ids=lambda p: p.name)
def test_every_dashboard_query_uses_only_exported_metrics_and_parses(path, exported, prometheus):
    queries = list(grafana_queries(json.loads(path.read_text())))
    assert queries, f"{path}: no PromQL found"
    unknown = {name: q for q in queries for name in metric_names(q) - exported}
    assert not unknown, f"not exported by any service: {unknown}"
    for query in queries:
        text = query.replace("$job", job(SERVICES[0]))
        for variable, value in GRAFANA_VARIABLES.items():
            text = text.replace(variable, value)
        assert "$" not in text, f"unknown Grafana variable in {query!r}"
        prometheus.query(text)  # raises on a parse error


def test_every_rule_expression_uses_only_exported_or_recorded_metrics(exported):
    exprs = rule_expressions()
    assert exprs, "no rendered rules: run through `make test-observability` (it runs `make chart-rules`)"
    known = exported | recorded_names()
    unknown = {where: sorted(metric_names(e) - known) for where, e in exprs.items() if metric_names(e) - known}
    assert not unknown, unknown


def test_prometheus_evaluates_the_chart_rules_against_the_fleet_without_errors(fleet, prometheus: Prometheus):
    assert rule_files(), "no rendered rules: run through `make test-observability` (it runs `make chart-rules`)"
    deadline = time.monotonic() + 15
    while True:
        rules = [r for g in prometheus.api("rules")["groups"] for r in g["rules"]]
        if rules and all(r.get("lastEvaluation", "").startswith("2") for r in rules):
            break
        assert time.monotonic() < deadline, "rules were not evaluated within 15 s"
        time.sleep(0.5)
    broken = {r["name"]: r.get("lastError") for r in rules if r["health"] != "ok"}
    assert not broken, broken
    # The latency SLI recording rule, over the fleet's own series, yields a ratio per service
    # once a counter has grown between two scrapes (a series' first sample gives no rate).
    # Traffic keeps flowing while we wait: on a loaded machine a scrape can miss the first requests,
    # and a counter seen only once has no rate yet.
    pending = set(SERVICES)
    deadline = time.monotonic() + 30
    while pending:
        assert time.monotonic() < deadline, f"no latency ratio for {sorted(pending)} within 30 s"
        for service in SERVICES:
            httpx.get(f"{fleet.url(service)}/docs/openapi.json", timeout=5).raise_for_status()
        time.sleep(1.0)
        for service in sorted(pending):
            query = f'job:http_request_slow:ratio_rate5m{{job="{job(service)}"}} >= 0'
            found = prometheus.api("query", query=query)["result"]
            if found:
                assert 0 <= float(found[0]["value"][1]) <= 1
                pending.discard(service)
