"""Ordered SQL migrations per service, checksummed, serialised by a PostgreSQL advisory lock.

Files are ``NNNN_description.sql`` in the service's ``migrations`` package folder; each runs in
its own transaction and is recorded with its SHA-256. A file changed after it was applied stops
the run (fix forward with a new file). Any number of runners may start at once (every pod's
init container, a Helm hook): the advisory lock makes them take turns, and the later ones find
nothing left to do.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import asyncpg
import msgspec

from fleetkit import queries
from fleetkit.logging import get_logger

__all__ = ["Migration", "MigrationError", "apply", "load_migrations"]

log = get_logger("fleetkit.migrate")


class MigrationError(Exception):
    """The database's migration history disagrees with the files."""


class Migration(msgspec.Struct, frozen=True):
    version: str
    sql: str
    checksum: str


def load_migrations(folder: Path) -> tuple[Migration, ...]:
    """Read the migration files (at start-up, before the event loop runs)."""
    files = sorted(folder.glob("*.sql"))
    return tuple(
        Migration(
            version=f.stem,
            sql=(text := f.read_text("utf-8")),
            checksum=hashlib.sha256(text.encode()).hexdigest(),
        )
        for f in files
    )


def lock_key(service: str) -> int:
    """A stable signed 64-bit advisory lock key per service."""
    digest = hashlib.sha256(f"fleet-migrate:{service}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def apply(conn: asyncpg.Connection, service: str, migrations: tuple[Migration, ...]) -> list[str]:
    """Apply pending migrations under the service's advisory lock; return the versions applied."""
    key = lock_key(service)
    await conn.execute(queries.ADVISORY_LOCK, key)
    try:
        await conn.execute(queries.CREATE_MIGRATIONS_TABLE)
        applied = {r["version"]: r["checksum"] for r in await conn.fetch(queries.SELECT_APPLIED_MIGRATIONS)}
        done: list[str] = []
        for migration in migrations:
            recorded = applied.get(migration.version)
            if recorded is not None:
                if recorded != migration.checksum:
                    msg = f"migration {migration.version} changed after it was applied; add a new one instead"
                    raise MigrationError(msg)
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(queries.INSERT_MIGRATION, migration.version, migration.checksum)
            log.info("migration_applied", service=service, version=migration.version)
            done.append(migration.version)
        return done
    finally:
        await conn.execute(queries.ADVISORY_UNLOCK, key)
