"""Housekeeping for Idempotency-Key records: a lifespan hook that purges expired ones.

Replays already ignore an expired record (a new claim takes it over), so this only reclaims
space. Every worker runs it; the deletes are idempotent and batched, so concurrent sweeps are
harmless.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from fleetkit.idempotency import delete_expired
from fleetkit.ids import utcnow
from fleetkit.logging import get_logger
from fleetkit.runtime import Runtime

__all__ = ["sweep_idempotency_keys"]

log = get_logger("fleetkit.idempotency")
SWEEP_PERIOD_S = 60.0
BATCH = 1000


async def _sweep_forever(runtime: Runtime) -> None:
    while True:
        await asyncio.sleep(SWEEP_PERIOD_S * random.uniform(0.8, 1.2))  # noqa: S311
        if runtime.pool is None:
            continue
        try:
            deleted = await delete_expired(runtime.pool, utcnow(), BATCH)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("idempotency_sweep_failed", error=type(exc).__name__)
            continue
        if deleted:
            log.info("idempotency_keys_swept", deleted=deleted)


@asynccontextmanager
async def sweep_idempotency_keys(runtime: Runtime) -> AsyncIterator[None]:
    """Lifespan hook: the sweep runs as a worker background task, cancelled at shutdown."""
    runtime.tasks.spawn(_sweep_forever(runtime), name="idempotency-key-sweep")
    yield
