"""The security suite's fleets: one with production-like limits, one with tight limits.

Both run as local processes on the shared PostgreSQL (databases of their own, dropped at the
end) on free ports, so the suite runs next to other engineers' fleets and CI's.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reliability import support
from tests.reliability.support import harness

#: Low limits (and a short header-read timeout) for the abuse tests.
TIGHT_ENV = {
    "RATE_LIMIT_RPS": "1",
    "RATE_LIMIT_BURST": "5",
    "RATE_LIMIT_STRICT_RPS": "0.1",
    "RATE_LIMIT_STRICT_BURST": "3",
    "GRANIAN_HTTP1_HEADER_READ_TIMEOUT": "2000",
    "LOG_FORMAT": "json",
}


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.LocalFleet]:
    with support.local_fleet(tmp_path_factory.mktemp("sec"), "sec") as local:
        yield local


@pytest.fixture(scope="session")
def tight(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.LocalFleet]:
    with support.local_fleet(tmp_path_factory.mktemp("tight"), "tight", extra_env=TIGHT_ENV) as local:
        yield local


@pytest.fixture(scope="session")
def services() -> tuple[str, ...]:
    return support.services()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    support.TALLY.put("exit_status", int(exitstatus))
    support.TALLY.dump("security")
