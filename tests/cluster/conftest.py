"""The cluster tier's fixtures: a running topology (tests/cluster/topology.py) and its parts.

- ``cluster``: two replicas of every service behind HAProxy, for the whole session (Granian's
  ``--loop auto``: uvloop, which the kit ships). Tests that stop replicas must leave every replica
  running and back in rotation when they finish (``Topology.restart`` does).
- ``cluster_factory``: a fresh topology with other options (another event loop, other settings),
  stopped when the test ends.
- ``users``: registered users with tokens, made through the proxy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cluster import topology
from tests.e2e.client import User, register_and_login

#: Limits high enough for the functional traffic: behind the proxy every client shares its address
#: until forwarded headers are trusted, so per-address limits would measure the proxy, not a user.
CLUSTER_ENV = {
    "RATE_LIMIT_STRICT_RPS": "500",
    "RATE_LIMIT_STRICT_BURST": "5000",
    "RATE_LIMIT_RPS": "5000",
    "RATE_LIMIT_BURST": "10000",
    "LOG_FORMAT": "json",
    "SOCIAL_SNAPSHOT_TTL_S": "2",
    "SOCIAL_BREAKER_RESET_S": "3",
}


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[topology.Topology]:
    with topology.running(tmp_path_factory.mktemp("cluster"), extra_env=CLUSTER_ENV) as running:
        yield running


@pytest.fixture
def cluster_factory(tmp_path: Path) -> Iterator[Callable[..., topology.Topology]]:
    """``cluster_factory(loop="asyncio", extra_env={...})``: a started topology of its own."""
    started: list[topology.Topology] = []

    def make(**options: object) -> topology.Topology:
        env = {**CLUSTER_ENV, **options.pop("extra_env", {})}  # type: ignore[dict-item]
        made = topology.Topology(tmp_path / f"cluster{len(started)}", extra_env=env, **options)  # type: ignore[arg-type]
        started.append(made)
        made.start()
        return made

    try:
        yield make
    finally:
        for made in reversed(started):
            made.stop()


def make_users(cluster: topology.Topology, count: int) -> list[User]:
    """``count`` registered users with tokens, created through identity's proxy."""
    return [register_and_login(cluster.url("identity"), prefix=f"cluster{i}") for i in range(count)]
