"""Metrics: /metrics is valid Prometheus text with RED per route template and pool gauges."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from kit_support import serving


async def _scrape(make_app, database_url, signing_key) -> str:
    token = signing_key.mint()
    async with serving(make_app(database_url)) as client:
        for item in (1, 2, 3, 4567):
            response = await client.get(f"/v1/items/{item}", headers={"authorization": f"Bearer {token}"})
            assert response.status_code == 200
        assert (await client.get("/v1/widgets/count")).status_code == 200
        assert (await client.get("/v1/items/1")).status_code == 401
        metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    return metrics.text


@pytest.fixture
async def scrape(make_app, database_url, signing_key) -> str:
    return await _scrape(make_app, database_url, signing_key)


def _sample(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    msg = f"no sample {name} {labels}"
    raise AssertionError(msg)


async def test_requests_are_counted_per_route_template_not_per_raw_path(scrape):
    count = _sample(
        scrape,
        "http_requests_total",
        route="/v1/items/{item_id}",
        method="GET",
        status_class="2xx",
    )
    assert count == 4
    assert _sample(scrape, "http_requests_total", route="/v1/items/{item_id}", status_class="4xx")
    assert "/v1/items/4567" not in scrape
    assert not re.search(r'route="/v1/items/\d', scrape)


async def test_request_latency_is_a_histogram_per_route_template(scrape):
    assert _sample(scrape, "http_request_duration_seconds_count", route="/v1/widgets/count") == 1


async def test_pool_gauges_and_acquire_waits_are_exported(scrape):
    assert _sample(scrape, "db_pool_max") == 10
    assert _sample(scrape, "db_pool_size") >= 1
    assert _sample(scrape, "db_pool_in_use") >= 0
    assert _sample(scrape, "db_pool_idle") >= 0
    assert _sample(scrape, "db_pool_acquire_wait_seconds_count") >= 1
    assert _sample(scrape, "db_pool_connection_events_total", event="opened") >= 1
    for event in ("closed", "reset", "discarded", "lost"):  # every series from the start
        assert _sample(scrape, "db_pool_connection_events_total", event=event) == 0


async def test_auth_failures_are_counted_by_reason(scrape):
    assert _sample(scrape, "auth_failures_total", reason="missing") == 1


async def test_the_metrics_pass_promtool_check_metrics(scrape):
    promtool = shutil.which("promtool")
    assert promtool is not None, "promtool is missing: `make tools` (Debian's prometheus package) installs it"
    checked = subprocess.run([promtool, "check", "metrics"], input=scrape, capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
