"""A local fleet wired for observability: traces to an OTLP receiver, scraped by a real Prometheus.

The fleet is the same one ``tests/e2e`` runs (``scripts/fleet.py`` LocalFleet, one Granian worker
per service as in the chart), on its own databases, with every request sampled, JSON logs in one
file per service, and the OTLP exporter's batch delay shortened so spans arrive within the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import yaml

from tests.observability.otlp_receiver import OtlpReceiver

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import fleet as harness  # noqa: E402

from fleetkit.migrate import apply, load_migrations  # noqa: E402
from fleetkit.testing import admin_dsn  # noqa: E402

#: The services this suite runs: every service that has an app (FLEET_OBS_SERVICES narrows it
#: while one is being written, e.g. ``FLEET_OBS_SERVICES=identity``).
SERVICES: tuple[str, ...] = tuple(
    s for s in harness.SERVICES if s in os.environ.get("FLEET_OBS_SERVICES", ",".join(harness.SERVICES)).split(",")
)
#: Prometheus job names as the chart's scrape config and ServiceMonitor give them:
#: ``<release>-<service>``, so the chart's dashboard and rules apply unchanged.
RELEASE = "fleet"
PROMETHEUS_BIN = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL_BIN = shutil.which("promtool") or "/usr/bin/promtool"


def job(service: str) -> str:
    return f"{RELEASE}-{service}"


free_port = harness.free_port


@pytest.fixture(scope="session")
def otlp() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as receiver:
        yield receiver


def fleet_env(endpoint: str) -> dict[str, str]:
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_TRACES_SAMPLER_ARG": "1.0",
        # A kit setting (ms, as the SDK's variable): the 1 s default would slow every test.
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "OTEL_RESOURCE_ATTRIBUTES": "k8s.namespace.name=obs-test",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "debug",
        "RATE_LIMIT_STRICT_RPS": "200",
        "RATE_LIMIT_STRICT_BURST": "2000",
        # The trace test reuses a refresh token at once and expects the reuse to be detected.
        "IDENTITY_REFRESH_REUSE_LEEWAY_S": "0",
    }


@pytest.fixture(scope="session")
def fleet(otlp: OtlpReceiver, tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.LocalFleet]:
    names = {service: f"obs_{service}_{os.getpid()}" for service in SERVICES}
    dsns = asyncio.run(harness.prepare_databases(admin_dsn(), names, fresh=True))
    keys = harness.generate_keys(tmp_path_factory.mktemp("keys"))
    local = harness.LocalFleet(
        dsns=dsns,
        ports={service: free_port() for service in SERVICES},
        keys=keys,
        log_dir=tmp_path_factory.mktemp("logs"),
        extra_env=fleet_env(otlp.endpoint),
    )
    try:
        asyncio.run(_migrate(dsns))
        # identity first: the others fetch its JWKS as they start.
        local.start("identity")
        for service in SERVICES[1:]:
            local.start(service, wait=False)
        for service in SERVICES[1:]:
            harness.wait_ready(local.url(service), process=local.processes[service])
        yield local
    finally:
        _stop_all(local)
        asyncio.run(harness.drop_databases(admin_dsn(), names))


def _stop_all(local: harness.LocalFleet) -> None:
    """SIGTERM every service at once, then wait for each (stopping them in turn adds up)."""
    processes = list(local.processes.values())
    local.processes.clear()
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(harness.STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


async def _migrate(dsns: dict[str, str]) -> None:
    """What ``python -m <svc> migrate`` does, in this process (saves an interpreter each)."""
    for service in SERVICES:
        folder = ROOT / "services" / service / "src" / service / "migrations"
        conn = await asyncpg.connect(dsns[service])
        try:
            await apply(conn, service, load_migrations(folder))
        finally:
            await conn.close()


#: Requests each service gets before Prometheus is asked: an unauthenticated call (401) to a
#: route of the service's own, so the counter is known exactly.
PROBES = 5
PROBE_ROUTE = {"identity": "/v1/me", "avatars": "/v1/me/avatars", "social": "/v1/posts"}


@pytest.fixture(scope="session")
def traffic(fleet) -> dict[str, str]:
    """Known requests per service; returns each service's probed route template."""
    routes = {}
    for service in SERVICES:
        route = PROBE_ROUTE.get(service, "/v1/me")
        method = "POST" if service == "social" else "GET"
        for _ in range(PROBES):
            response = httpx.request(method, f"{fleet.url(service)}{route}", timeout=5)
            assert response.status_code == 401
        routes[service] = route
    return routes


def log_lines(fleet: harness.LocalFleet, service: str) -> list[dict[str, Any]]:
    """The JSON log lines ``service`` wrote so far (Granian's own plain lines are skipped)."""
    lines = []
    for raw in (fleet.log_dir / f"{service}.log").read_text(errors="replace").splitlines():
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    return lines


def scrape(fleet: harness.LocalFleet, service: str) -> str:
    response = httpx.get(f"{fleet.url(service)}/metrics", timeout=5)
    response.raise_for_status()
    return response.text


class Prometheus:
    """A Prometheus server on 127.0.0.1 and a client of its HTTP API."""

    def __init__(self, url: str) -> None:
        self.url = url

    def api(self, path: str, **params: str) -> Any:
        response = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=5)
        body = response.json()
        if body.get("status") != "success":
            msg = f"{path} {params}: {response.status_code} {body}"
            raise AssertionError(msg)
        return body["data"]

    def query(self, promql: str) -> list[dict[str, Any]]:
        return list(self.api("query", query=promql)["result"])

    def wait_for(self, promql: str, timeout: float = 20.0) -> list[dict[str, Any]]:
        """Poll until ``promql`` returns a non-empty vector; return it."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.query(promql)
            if result:
                return result
            if time.monotonic() > deadline:
                msg = f"{promql!r} stayed empty for {timeout} s"
                raise AssertionError(msg)
            time.sleep(0.25)


def rule_files() -> list[Path]:
    """The chart's PrometheusRule groups as plain rule files (``make chart-rules`` writes them)."""
    return sorted((ROOT / "tests" / "charts" / "rules" / "rendered").glob("*.rules.yaml"))


@pytest.fixture(scope="session")
def prometheus(fleet: harness.LocalFleet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    """Debian's Prometheus scraping every service each second (and loading the chart's rules)."""
    if not Path(PROMETHEUS_BIN).exists():
        pytest.fail("prometheus is not installed: apt-get install -y prometheus")
    folder = tmp_path_factory.mktemp("prometheus")
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(p) for p in rule_files()],
        "scrape_configs": [
            {
                "job_name": job(service),
                "metrics_path": "/metrics",
                "static_configs": [{"targets": [fleet.url(service).removeprefix("http://")]}],
            }
            for service in SERVICES
        ],
    }
    (folder / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    log = (folder / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [
            PROMETHEUS_BIN,
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--web.console.templates=/dev/null",
            "--web.console.libraries=/dev/null",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Prometheus(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                pytest.fail(f"prometheus exited: {(folder / 'prometheus.log').read_text()}")
            try:
                if httpx.get(f"{server.url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("prometheus was not ready within 20 s")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
