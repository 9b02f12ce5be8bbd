"""Migrations: ordered, checksummed, idempotent, and safe with concurrent runners."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import asyncpg
import pytest

from fleetkit.migrate import MigrationError, apply, load_migrations

FIRST = "CREATE TABLE gadgets (id integer PRIMARY KEY);"
SECOND = "ALTER TABLE gadgets ADD COLUMN name text NOT NULL DEFAULT '';"
THIRD = "SELECT pg_sleep(0.2); CREATE TABLE sprockets (id integer PRIMARY KEY);"


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(exist_ok=True)
    for name, sql in files.items():
        (folder / name).write_text(sql, encoding="utf-8")
    return folder


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    # Written out of order on purpose: the runner orders by file name, not by creation.
    return write(
        tmp_path / "migrations",
        {"0002_add_name.sql": SECOND, "0001_gadgets.sql": FIRST, "0003_sprockets.sql": THIRD},
    )


@pytest.fixture
async def conn(empty_database_url: str):
    connection = await asyncpg.connect(empty_database_url)
    yield connection
    await connection.close()


async def test_migrations_apply_in_file_name_order_and_record_their_checksums(conn, folder):
    applied = await apply(conn, "svc", load_migrations(folder))
    assert applied == ["0001_gadgets", "0002_add_name", "0003_sprockets"]
    rows = await conn.fetch("SELECT version, checksum FROM schema_migrations ORDER BY version")
    assert [(r["version"], r["checksum"]) for r in rows] == [
        ("0001_gadgets", hashlib.sha256(FIRST.encode()).hexdigest()),
        ("0002_add_name", hashlib.sha256(SECOND.encode()).hexdigest()),
        ("0003_sprockets", hashlib.sha256(THIRD.encode()).hexdigest()),
    ]
    await conn.execute("INSERT INTO gadgets (id, name) VALUES (1, 'g')")


async def test_a_second_run_applies_nothing(conn, folder):
    await apply(conn, "svc", load_migrations(folder))
    assert await apply(conn, "svc", load_migrations(folder)) == []
    assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == 3


async def test_a_new_file_is_applied_on_the_next_run(conn, folder):
    await apply(conn, "svc", load_migrations(folder))
    write(folder, {"0004_more.sql": "CREATE TABLE cogs (id integer);"})
    assert await apply(conn, "svc", load_migrations(folder)) == ["0004_more"]


async def test_a_file_changed_after_it_was_applied_stops_the_run(conn, folder):
    await apply(conn, "svc", load_migrations(folder))
    write(
        folder,
        {"0001_gadgets.sql": FIRST + " -- edited", "0004_more.sql": "CREATE TABLE cogs (id int);"},
    )
    with pytest.raises(MigrationError, match="0001_gadgets"):
        await apply(conn, "svc", load_migrations(folder))
    assert await conn.fetchval("SELECT to_regclass('cogs')") is None
    assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == 3


async def test_a_failing_migration_is_rolled_back_and_not_recorded(conn, folder):
    write(folder, {"0004_broken.sql": "CREATE TABLE half (id int); SELECT no_such_function();"})
    with pytest.raises(asyncpg.PostgresError):
        await apply(conn, "svc", load_migrations(folder))
    assert await conn.fetchval("SELECT to_regclass('half')") is None
    versions = await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
    assert [r["version"] for r in versions] == ["0001_gadgets", "0002_add_name", "0003_sprockets"]


async def test_concurrent_runners_apply_each_migration_exactly_once(empty_database_url, folder):
    migrations = load_migrations(folder)
    connections = [await asyncpg.connect(empty_database_url) for _ in range(3)]
    try:
        results = await asyncio.gather(*(apply(c, "svc", migrations) for c in connections))
        versions = await connections[0].fetch("SELECT version FROM schema_migrations")
    finally:
        for c in connections:
            await c.close()
    applied = sorted(v for result in results for v in result)
    assert applied == ["0001_gadgets", "0002_add_name", "0003_sprockets"]
    assert len(versions) == 3


async def test_the_lock_is_released_after_a_failed_run(conn, folder, empty_database_url):
    write(folder, {"0004_broken.sql": "SELECT no_such_function();"})
    with pytest.raises(asyncpg.PostgresError):
        await apply(conn, "svc", load_migrations(folder))
    (folder / "0004_broken.sql").unlink()
    other = await asyncpg.connect(empty_database_url)
    try:
        assert await asyncio.wait_for(apply(other, "svc", load_migrations(folder)), 5) == []
    finally:
        await other.close()
