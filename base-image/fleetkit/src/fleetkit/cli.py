"""``python -m <service> migrate``: the command the chart's init container and ``make dev`` run."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import asyncpg

from fleetkit.logging import configure_logging, get_logger
from fleetkit.migrate import MigrationError, apply, load_migrations
from fleetkit.settings import KitSettings, SettingsError, load_settings

__all__ = ["main"]

CONNECT_ATTEMPTS = 30


async def _migrate(settings: KitSettings, folder: Path) -> list[str]:
    migrations = await asyncio.to_thread(load_migrations, folder)
    log = get_logger("fleetkit.cli")
    for attempt in range(1, CONNECT_ATTEMPTS + 1):
        try:
            conn = await asyncpg.connect(settings.database_url, timeout=settings.db_acquire_timeout_s)
            break
        except (OSError, asyncpg.CannotConnectNowError, TimeoutError) as exc:
            log.warning("migrate_waiting_for_database", attempt=attempt, error=type(exc).__name__)
            await asyncio.sleep(1.0)
    else:
        msg = "the database did not answer"
        raise ConnectionError(msg)
    try:
        return await apply(conn, settings.service_name, migrations)
    finally:
        await conn.close()


def main(settings_cls: type[KitSettings], migrations: Path, argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["migrate"]:
        print(f"usage: python -m {settings_cls.__module__.split('.')[0]} migrate", file=sys.stderr)
        return 2
    try:
        settings = load_settings(settings_cls, os.environ)
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(service=settings.service_name, level=settings.log_level, fmt=settings.log_format)
    try:
        applied = asyncio.run(_migrate(settings, migrations))
    except (MigrationError, ConnectionError, asyncpg.PostgresError) as exc:
        get_logger("fleetkit.cli").error("migrate_failed", error=str(exc))
        return 1
    get_logger("fleetkit.cli").info("migrate_done", applied=applied)
    return 0
