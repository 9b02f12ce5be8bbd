"""The fleet under test: the URLs in FLEET_*_URL, or a local fleet of processes started here.

Tests marked ``fleet`` stop and start services, so they need the local fleet; runs against
containers or kind deselect them with ``-m "not fleet"``.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import fleet as harness  # noqa: E402

from fleetkit.testing import admin_dsn  # noqa: E402

#: Generous credential-route limits: the suite registers many users from one address.
#: Short snapshot TTL and breaker reset keep the degrade-and-recover tests quick.
E2E_ENV = {
    "RATE_LIMIT_STRICT_RPS": "200",
    "RATE_LIMIT_STRICT_BURST": "2000",
    "LOG_FORMAT": "json",
    "SOCIAL_SNAPSHOT_TTL_S": "2",
    "SOCIAL_BREAKER_RESET_S": "3",
}


free_port = harness.free_port


class ExternalFleet:
    """A fleet someone else runs (containers, kind): URLs only, no process control."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = urls

    def url(self, service: str) -> str:
        return self.urls[service]


def _external_urls() -> dict[str, str] | None:
    urls = {s: os.environ.get(f"FLEET_{s.upper()}_URL", "") for s in harness.SERVICES}
    return urls if all(urls.values()) else None


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.LocalFleet | ExternalFleet]:
    external = _external_urls()
    if external is not None:
        yield ExternalFleet(external)
        return
    tag = f"{os.getpid()}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    names = {service: f"e2e_{service}_{tag}" for service in harness.SERVICES}
    dsns = asyncio.run(harness.prepare_databases(admin_dsn(), names, fresh=True))
    keys = tmp_path_factory.mktemp("keys")
    harness.generate_keys(keys)
    logs = tmp_path_factory.mktemp("logs")
    local = harness.LocalFleet(
        dsns=dsns,
        ports={service: free_port() for service in harness.SERVICES},
        keys=keys,
        log_dir=logs,
        extra_env=E2E_ENV,
    )
    local.migrate_all()
    local.start_all()
    try:
        yield local
    finally:
        local.stop_all()
        asyncio.run(harness.drop_databases(admin_dsn(), names))


@pytest.fixture(scope="session")
def local_fleet(fleet: harness.LocalFleet | ExternalFleet) -> harness.LocalFleet:
    """The fleet as local processes; tests that use this are marked ``fleet``."""
    if not isinstance(fleet, harness.LocalFleet):
        msg = "this test controls processes: run it against the local fleet (unset FLEET_*_URL)"
        raise pytest.UsageError(msg)
    return fleet


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "local_fleet" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.fleet)
