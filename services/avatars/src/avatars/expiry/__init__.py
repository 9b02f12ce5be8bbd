"""Housekeeping: purge expired drafts and Idempotency-Key records in the background.

Reads already treat an expired draft as absent, so this only reclaims space. Every worker runs
the sweep; the deletes are idempotent and batched, so concurrent sweeps are harmless.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from avatars.expiry.queries import DELETE_EXPIRED_DRAFTS, DELETE_EXPIRED_IDEMPOTENCY_KEYS
from fleetkit.db import KitPool
from fleetkit.ids import utcnow
from fleetkit.logging import get_logger
from fleetkit.runtime import Runtime

__all__ = ["sweep_expired", "sweep_once"]

log = get_logger("avatars.expiry")
SWEEP_PERIOD_S = 60.0
BATCH = 1000


async def sweep_once(pool: KitPool, batch: int = BATCH) -> int:
    """Delete one batch of each; the number of rows deleted."""
    now = utcnow()
    deleted = 0
    for query in (DELETE_EXPIRED_DRAFTS, DELETE_EXPIRED_IDEMPOTENCY_KEYS):
        status: str = await pool.execute(query, now, batch)
        deleted += int(status.rsplit(" ", 1)[-1])
    return deleted


async def _sweep_forever(runtime: Runtime) -> None:
    while True:
        await asyncio.sleep(SWEEP_PERIOD_S * random.uniform(0.8, 1.2))  # noqa: S311
        if runtime.pool is None:
            continue
        try:
            deleted = await sweep_once(runtime.pool)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("expiry_sweep_failed", error=type(exc).__name__)
            continue
        if deleted:
            log.info("expiry_swept", deleted=deleted)


@asynccontextmanager
async def sweep_expired(runtime: Runtime) -> AsyncIterator[None]:
    """Lifespan hook: the sweep runs as a worker background task, cancelled at shutdown."""
    runtime.tasks.spawn(_sweep_forever(runtime), name="avatars-expiry-sweep")
    yield
