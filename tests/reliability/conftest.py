"""The reliability suite's fleets.

- ``pg``: a private PostgreSQL cluster on a free port; the only server these tests stop.
- ``db_fleet``: the fleet on that cluster (database faults, dependency faults, soak).
- ``shutdown_fleet``: a fleet on the shared PostgreSQL whose processes the shutdown tests SIGTERM.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reliability import support
from tests.reliability.support import harness

#: Acquire timeout and readiness are what the fault tests measure against.
FAULT_ENV = {
    "DB_ACQUIRE_TIMEOUT_S": "2",
    "DB_COMMAND_TIMEOUT_S": "5",
    "LOG_FORMAT": "json",
    # avatar snapshots go stale fast, so the feed must ask avatars (and degrade when it is down)
    "SOCIAL_SNAPSHOT_TTL_S": "1",
    "SOCIAL_BREAKER_RESET_S": "3",
}


@pytest.fixture(scope="session")
def pg() -> Iterator[support.Throwaway]:
    cluster = support.Throwaway()
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def db_fleet(pg: support.Throwaway, tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.LocalFleet]:
    with support.local_fleet(tmp_path_factory.mktemp("dbf"), "dbf", admin=pg.admin, extra_env=FAULT_ENV) as local:
        yield local


@pytest.fixture(scope="session")
def shutdown_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.LocalFleet]:
    # All IN_FLIGHT logins must wait (for a place in the app, then for their password hash), not be
    # shed: this measures shutdown, not overload. These processes have no memory limit, so they hash
    # as many at once as before the bound (the default thread pool's 6 on two cores).
    waits = {
        "IDENTITY_PASSWORD_HASH_CONCURRENCY": "6",
        "IDENTITY_PASSWORD_HASH_QUEUE_MAX": "64",
        "IDENTITY_PASSWORD_HASH_WAIT_S": "30",
        "ADMISSION_QUEUE_TIMEOUT_S": "30",
        # The IN_FLIGHT logins are one account's; the per-account login budget is not measured here.
        "IDENTITY_LOGIN_BUDGET": "1000",
        "IDENTITY_LOGIN_BACKOFF_S": "0",
    }
    with support.local_fleet(tmp_path_factory.mktemp("shut"), "shut", extra_env=waits) as local:
        yield local


@pytest.fixture(scope="session")
def services() -> tuple[str, ...]:
    return support.services()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    support.TALLY.put("exit_status", int(exitstatus))
    support.TALLY.dump("reliability")
