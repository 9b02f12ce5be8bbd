"""The snapshot worker: refreshes feed avatar snapshots off the request path.

The feed submits avatar ids whose snapshots are ageing, with the bearer token of the request
that saw them (avatars wants a user token; the token travels only in memory, inside the queue
item, and is never logged or stored). The queue is bounded by ``SOCIAL_SNAPSHOT_QUEUE_MAX``;
when it is full the ids are marked ``snapshot_stale`` in the read model and counted in
``social_snapshot_refresh_deferred`` instead: never dropped, never unbounded. Each batch the
worker sends also sweeps stale-marked ids (up to the batch limit) under the same token. Ids
still queued at shutdown are marked stale too.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from datetime import datetime
from uuid import UUID

import asyncpg

from fleetkit.db import KitPool
from fleetkit.ids import utcnow
from fleetkit.logging import get_logger
from social.avatar_directory import BATCH_MAX, AvatarDirectory, AvatarsUnavailable
from social.bearer import BearerToken
from social.metrics import SocialMetrics
from social.snapshots.store import mark_stale, save_snapshots, stale_avatar_ids

__all__ = ["RefreshJob", "SnapshotRefresher"]

log = get_logger("social.snapshots")
STORE_FAULTS: tuple[type[Exception], ...] = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    OSError,
    TimeoutError,
)
STOP_TIMEOUT_S = 2.0


class RefreshJob:
    __slots__ = ("avatar_ids", "bearer")

    def __init__(self, avatar_ids: tuple[UUID, ...], bearer: BearerToken) -> None:
        self.avatar_ids = avatar_ids
        self.bearer = bearer


class SnapshotRefresher:
    __slots__ = ("_clock", "_current", "_directory", "_metrics", "_pending", "_pool", "_queue")

    def __init__(
        self,
        *,
        pool: KitPool,
        directory: AvatarDirectory,
        queue_max: int,
        metrics: SocialMetrics,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._pool = pool
        self._directory = directory
        self._metrics = metrics
        self._clock = clock
        self._queue: asyncio.Queue[RefreshJob] = asyncio.Queue(maxsize=queue_max)
        # Ids queued and not yet processed: the same ageing avatar seen by many feed requests
        # is queued once. Bounded by queue_max * BATCH_MAX.
        self._pending: set[UUID] = set()
        self._current: RefreshJob | None = None
        metrics.queue_depth.set_function(self._queue.qsize)

    @property
    def queued(self) -> int:
        return self._queue.qsize()

    async def submit(self, avatar_ids: Collection[UUID], bearer: BearerToken) -> bool:
        """Queue a refresh; False when the queue is full and the ids were marked stale instead."""
        fresh = tuple(i for i in dict.fromkeys(avatar_ids) if i not in self._pending)[:BATCH_MAX]
        if not fresh:
            return True
        if self._queue.full():
            await mark_stale(self._pool, fresh)
            self._metrics.snapshot_deferred.labels("queue_full").inc(len(fresh))
            log.warning("snapshot_refresh_deferred", cause="queue_full", avatars=len(fresh))
            return False
        self._queue.put_nowait(RefreshJob(fresh, bearer))
        self._pending.update(fresh)
        return True

    async def run(self) -> None:
        """The worker loop: one batch-get per job, until cancelled."""
        while True:
            job = await self._queue.get()
            self._current = job
            try:
                await self.refresh(job)
            except STORE_FAULTS as exc:
                self._metrics.snapshot_refreshes.labels("store_error").inc()
                log.warning("snapshot_refresh_failed", error=type(exc).__name__)
            finally:
                self._pending.difference_update(job.avatar_ids)
                self._queue.task_done()
            self._current = None  # left set when cancelled mid-job: deferred at shutdown

    async def refresh(self, job: RefreshJob) -> None:
        ids = list(job.avatar_ids)
        ids += [i for i in await stale_avatar_ids(self._pool, BATCH_MAX) if i not in job.avatar_ids]
        ids = ids[:BATCH_MAX]
        cards = await self._directory.batch_get(ids, job.bearer)
        if isinstance(cards, AvatarsUnavailable):
            await mark_stale(self._pool, ids)
            self._metrics.snapshot_refreshes.labels("unavailable").inc()
            self._metrics.snapshot_deferred.labels("avatars_unavailable").inc(len(ids))
            return
        await save_snapshots(self._pool, ids, cards, self._clock())
        self._metrics.snapshot_refreshes.labels("ok").inc()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the worker for the life of the app; at exit, queued work is marked stale."""
        task = asyncio.get_running_loop().create_task(self.run(), name="avatar-snapshots")
        try:
            yield
        finally:
            task.cancel()
            await asyncio.wait([task], timeout=STOP_TIMEOUT_S)
            await self._defer_queued()

    async def _defer_queued(self) -> None:
        left: list[UUID] = list(self._current.avatar_ids) if self._current else []
        while not self._queue.empty():
            left.extend(self._queue.get_nowait().avatar_ids)
        if not left:
            return
        try:
            await mark_stale(self._pool, left)
        except STORE_FAULTS as exc:
            log.warning("snapshot_defer_failed", error=type(exc).__name__, avatars=len(left))
            return
        self._metrics.snapshot_deferred.labels("shutdown").inc(len(left))
