"""Test support: a fresh, migrated PostgreSQL database per test, cloned from a template.

Cloning a template that already holds the schema takes tens of milliseconds, so every test gets
its own database and tests are isolated and safe to run in parallel (pytest-xdist). Not imported
by the services at run time.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from fleetkit.db import KitPool
from fleetkit.ids import new_id
from fleetkit.migrate import apply, load_migrations

__all__ = [
    "admin_dsn",
    "create_database",
    "database_fixtures",
    "drop_database",
    "drop_template",
    "make_template",
]


def admin_dsn() -> str:
    """The server tests create databases on: ``TEST_DATABASE_URL`` or the local PostgreSQL."""
    return os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


#: How long test support waits to connect to the test server (it is local: a hang is a fault).
CONNECT_TIMEOUT_S = 10.0


def with_database(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


async def make_template(service: str, migrations: Path, tag: str) -> str:
    """Create (or recreate) a migrated template database; return its name."""
    name = f"tmpl_{service}_{tag}"
    admin = await asyncpg.connect(admin_dsn(), timeout=CONNECT_TIMEOUT_S)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(with_database(admin_dsn(), name), timeout=CONNECT_TIMEOUT_S)
    try:
        await apply(conn, service, await asyncio.to_thread(load_migrations, migrations))
    finally:
        await conn.close()
    return name


async def create_database(template: str) -> str:
    """A new database cloned from ``template``; returns its DSN."""
    name = f"t_{new_id().hex}"
    admin = await asyncpg.connect(admin_dsn(), timeout=CONNECT_TIMEOUT_S)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await admin.close()
    return with_database(admin_dsn(), name)


async def drop_database(dsn: str) -> None:
    name = urlsplit(dsn).path.lstrip("/")
    admin = await asyncpg.connect(admin_dsn(), timeout=CONNECT_TIMEOUT_S)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def drop_template(name: str) -> None:
    """Drop a template made by :func:`make_template` (at the end of a test session)."""
    admin = await asyncpg.connect(admin_dsn(), timeout=CONNECT_TIMEOUT_S)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def database_fixtures(service: str, migrations: Path) -> tuple[object, object, object]:
    """The ``template``, ``database_url`` and ``pool`` pytest fixtures of a service's tests.

    In a conftest: ``template, database_url, pool = database_fixtures("avatars", MIGRATIONS)``.
    The template is migrated once per test worker; every test gets its own clone of it.
    """
    import pytest

    @pytest.fixture(scope="session", name="template")
    def template(worker_id: str) -> Iterator[str]:
        name = asyncio.run(make_template(service, migrations, f"{worker_id}_{os.getpid()}"))
        yield name
        asyncio.run(drop_template(name))

    @pytest.fixture(name="database_url")
    async def database_url(template: str) -> AsyncIterator[str]:
        dsn = await create_database(template)
        yield dsn
        await drop_database(dsn)

    @pytest.fixture(name="pool")
    async def pool(database_url: str) -> AsyncIterator[KitPool]:
        connect = functools.partial(asyncpg.connect, database_url, timeout=CONNECT_TIMEOUT_S, command_timeout=30)
        async with KitPool(connect, max_size=4, acquire_timeout=10, close_timeout=30) as test_pool:
            yield test_pool

    return template, database_url, pool
