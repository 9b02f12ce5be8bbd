"""Metrics: every service's exposition passes promtool, and a real Prometheus scraping the fleet
answers for request counters (by route template) and pool gauges."""

from __future__ import annotations

import re
import subprocess
import uuid

import httpx
import pytest

from tests.observability.conftest import PROBES, PROMTOOL_BIN, SERVICES, Prometheus, job, scrape

UUIDISH = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")


@pytest.mark.parametrize("service", SERVICES)
def test_the_metrics_exposition_passes_promtool_check_metrics(fleet, service):
    text = scrape(fleet, service)
    checked = subprocess.run(
        [PROMTOOL_BIN, "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip() == "", checked.stdout


@pytest.mark.parametrize("service", SERVICES)
def test_prometheus_scrapes_the_service_and_counts_its_requests_by_route_template(
    prometheus: Prometheus, traffic, service
):
    route = traffic[service]
    method = "POST" if service == "social" else "GET"
    selector = f'http_requests_total{{job="{job(service)}",route="{route}",method="{method}",status_class="4xx"}}'
    (sample,) = prometheus.wait_for(f"{selector} >= {PROBES}")
    assert float(sample["value"][1]) == PROBES
    assert prometheus.query(f'up{{job="{job(service)}"}} == 1')
    # Health probes and the scrape itself are counted too, each under its template.
    routes = {r["metric"]["route"] for r in prometheus.query(f'http_requests_total{{job="{job(service)}"}}')}
    assert {"/metrics", route} <= routes
    assert not [r for r in routes if UUIDISH.search(r)], routes
    (duration,) = prometheus.query(f'http_request_duration_seconds_count{{job="{job(service)}",route="{route}"}}')
    assert float(duration["value"][1]) == PROBES


@pytest.mark.parametrize("service", SERVICES)
def test_prometheus_has_the_service_pool_gauges_and_acquire_waits(prometheus: Prometheus, traffic, service):
    j = job(service)
    size = float(prometheus.wait_for(f'db_pool_size{{job="{j}"}} > 0')[0]["value"][1])
    idle = float(prometheus.query(f'db_pool_idle{{job="{j}"}}')[0]["value"][1])
    in_use = float(prometheus.query(f'db_pool_in_use{{job="{j}"}}')[0]["value"][1])
    most = float(prometheus.query(f'db_pool_max{{job="{j}"}}')[0]["value"][1])
    assert 0 < size <= most
    assert idle + in_use == size
    waits = prometheus.wait_for(f'db_pool_acquire_wait_seconds_count{{job="{j}"}} > 0')
    assert float(waits[0]["value"][1]) >= 1
    assert prometheus.query(f'http_requests_in_flight{{job="{j}"}} >= 0')
    (info,) = prometheus.query(f'service_info{{job="{j}"}}')
    assert info["metric"]["service"] == service


def test_a_path_with_an_id_is_counted_under_its_route_template_not_the_id(fleet):
    avatar_id = str(uuid.uuid4())
    assert httpx.get(f"{fleet.url('avatars')}/v1/avatars/{avatar_id}", timeout=5).status_code == 401
    text = scrape(fleet, "avatars")
    assert avatar_id not in text
    routes = set(re.findall(r'^http_requests_total\{[^}]*route="([^"]+)"', text, re.MULTILINE))
    assert any(r.startswith("/v1/avatars/{avatar_id") for r in routes), routes
