"""Housekeeping: a lifespan hook that purges expired rows, Idempotency-Key records first.

Replays already ignore an expired record (a new claim takes it over), so this only reclaims
space. A service whose own rows expire too (avatars' wizard drafts) passes their delete to
:class:`ExpirySweep` and runs one sweep for both. Every worker runs it; the deletes are
idempotent and batched, so concurrent sweeps are harmless.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime

import asyncpg

from fleetkit.db import KitPool
from fleetkit.idempotency import delete_expired
from fleetkit.ids import utcnow
from fleetkit.logging import get_logger
from fleetkit.runtime import Runtime

__all__ = ["ExpiredDelete", "ExpirySweep", "sweep_idempotency_keys"]

log = get_logger("fleetkit.idempotency")
SWEEP_PERIOD_S = 60.0
BATCH = 1000

#: Deletes at most ``batch`` rows expired at ``now``; the number deleted.
ExpiredDelete = Callable[[KitPool, datetime, int], Awaitable[int]]


class ExpirySweep:
    """The hook (``create_service_app(hooks=(ExpirySweep(delete_expired_drafts),))``): once a
    minute, with jitter, a batch of expired Idempotency-Key records and one of each ``also``."""

    __slots__ = ("_deletes",)

    def __init__(self, *also: ExpiredDelete) -> None:
        self._deletes: tuple[ExpiredDelete, ...] = (delete_expired, *also)

    async def once(self, pool: KitPool, now: datetime, batch: int = BATCH) -> int:
        """One batch of each; the number of rows deleted."""
        deleted = 0
        for delete in self._deletes:
            deleted += await delete(pool, now, batch)
        return deleted

    async def _forever(self, runtime: Runtime) -> None:
        while True:
            await asyncio.sleep(SWEEP_PERIOD_S * random.uniform(0.8, 1.2))  # noqa: S311
            if runtime.pool is None:
                continue
            try:
                deleted = await self.once(runtime.pool, utcnow())
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("expiry_sweep_failed", error=type(exc).__name__)
                continue
            if deleted:
                log.info("expired_rows_swept", deleted=deleted)

    @asynccontextmanager
    async def __call__(self, runtime: Runtime) -> AsyncIterator[None]:
        """Lifespan hook: the sweep runs as a worker background task, cancelled at shutdown."""
        runtime.tasks.spawn(self._forever(runtime), name="expiry-sweep")
        yield


#: The sweep of a service whose only expiring rows are its Idempotency-Key records.
sweep_idempotency_keys = ExpirySweep()
