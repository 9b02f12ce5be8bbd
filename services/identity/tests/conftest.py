"""Identity tests: each test gets its own database cloned from a migrated template."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from fleetkit.testing import create_database, drop_database, make_template
from identity.app import MIGRATIONS, create_app
from identity.passwords import Passwords
from identity.tokens import KeyRing, generate_keys


@pytest.fixture(scope="session")
def template(worker_id: str) -> str:
    return asyncio.run(make_template("identity", MIGRATIONS, f"{worker_id}_{os.getpid()}"))


@pytest.fixture
async def database_url(template: str) -> AsyncIterator[str]:
    dsn = await create_database(template)
    yield dsn
    await drop_database(dsn)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with asyncpg.create_pool(database_url, min_size=1, max_size=4) as test_pool:
        yield test_pool


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("keys")
    generate_keys(folder)
    return folder


@pytest.fixture(scope="session")
def keyring(keys_dir: Path) -> KeyRing:
    return KeyRing.from_folder(keys_dir, issuer="fleet-identity", audience="fleet", ttl_s=900)


@pytest.fixture(scope="session")
def passwords() -> Passwords:
    return Passwords()


@pytest.fixture
def app_env(database_url: str, keys_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("IDENTITY_SIGNING_KEYS_DIR", str(keys_dir))
    monkeypatch.setenv("RATE_LIMIT_STRICT_BURST", "1000")
    yield


@pytest.fixture
async def client(app_env: None) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with AsyncTestClient(app=create_app()) as test_client:
        yield test_client
