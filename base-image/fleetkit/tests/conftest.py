"""Kit tests: a fresh PostgreSQL database per test (fleetkit.testing) and a tiny service app.

The app is built with the kit's own factory around a throwaway slice, so the tests exercise the
same middleware, exception handlers, lifespan and health routes every service gets.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kit_support import MIGRATIONS, OTHER_SLICE, TEST_SLICE, SigningKey, kit_settings
from litestar import Litestar

from fleetkit.app import create_service_app
from fleetkit.auth import StaticKeySource
from fleetkit.db import KitPool, open_pool
from fleetkit.runtime import Runtime
from fleetkit.testing import create_database, drop_database, drop_template, make_template

#: The event loop the async tests run on: ``FLEET_TEST_LOOP=uvloop`` runs them on uvloop (what
#: Granian picks in the image), unset or ``asyncio`` on the standard loop.
TEST_LOOP = os.environ.get("FLEET_TEST_LOOP", "asyncio")
if TEST_LOOP not in {"asyncio", "uvloop"}:
    msg = f"FLEET_TEST_LOOP must be asyncio or uvloop, not {TEST_LOOP!r}"
    raise pytest.UsageError(msg)

if TEST_LOOP == "uvloop":
    import uvloop

    def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict[str, Callable[[], Any]]:
        """Every async test and fixture of the kit on a uvloop loop (pytest-asyncio's public hook)."""
        return {"uvloop": uvloop.new_event_loop}


@pytest.fixture(scope="session")
def template(worker_id: str) -> Iterator[str]:
    name = asyncio.run(make_template("kit", MIGRATIONS, f"{worker_id}_{os.getpid()}"))
    yield name
    asyncio.run(drop_template(name))


@pytest.fixture
async def database_url(template: str) -> AsyncIterator[str]:
    """A migrated database of the test's own."""
    dsn = await create_database(template)
    yield dsn
    await drop_database(dsn)


@pytest.fixture
async def empty_database_url() -> AsyncIterator[str]:
    """A database of the test's own with no migrations at all."""
    dsn = await create_database("template0")
    yield dsn
    await drop_database(dsn)


@pytest.fixture
def unreachable_database_url() -> str:
    """A DSN nothing listens on (port 1): every connection attempt is refused at once."""
    return "postgresql://postgres@127.0.0.1:1/nothing"


@pytest.fixture
def signing_key() -> SigningKey:
    return SigningKey()


AppFactory = Callable[..., Litestar]


@pytest.fixture
def make_app(signing_key: SigningKey) -> AppFactory:
    """Build the test service: ``make_app(database_url, RATE_LIMIT_BURST=..., ...)``."""

    def factory(database_url: str, *, migrations: Path = MIGRATIONS, **overrides: Any) -> Litestar:
        def keys(_: Runtime) -> StaticKeySource:
            return StaticKeySource({signing_key.kid: signing_key.public})

        return create_service_app(
            settings=kit_settings(database_url, **overrides),
            slices=[TEST_SLICE, OTHER_SLICE],
            migrations=migrations,
            description="kit test service",
            keys_factory=keys,
        )

    return factory


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[KitPool]:
    async with await open_pool(kit_settings(database_url, db_pool_max_size=4)) as test_pool:
        yield test_pool
