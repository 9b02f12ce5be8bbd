"""The asyncpg pool: created once per worker in the lifespan, sized and timed from settings.

``KitPool`` differs from ``asyncpg.Pool`` in four ways. Every acquire has a deadline (asyncpg's
``pool.fetch()`` and friends acquire with no timeout at all, so an exhausted pool would make
requests hang instead of failing fast with 503); acquirers are served first come, first served
(asyncpg's queue lets a newcomer take a connection released to a waiter that has not run yet, and
the waiter goes back to the end of the line: under load some requests waited 400 ms while others
took 15); acquire waits are measured for the ``db_pool_acquire_wait_seconds`` histogram; and
neither the common acquire nor the common release arms a timer or goes through the event loop
(docs/performance.md, items 10 and 11).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Callable
from typing import Any

import asyncpg
from opentelemetry import trace

from fleetkit.gate import AdmissionGate
from fleetkit.logging import get_logger
from fleetkit.queries import SELECT_ONE
from fleetkit.settings import KitSettings
from fleetkit.telemetry import connection_class

__all__ = ["KitPool", "eager_task", "open_pool", "ping", "warm"]

log = get_logger("fleetkit.db")


class KitPool(asyncpg.Pool):  # type: ignore[misc]
    __slots__ = ("_acquire_timeout", "_held", "_line", "_observe_wait")

    def __init__(
        self,
        dsn: str,
        *,
        acquire_timeout: float,
        observe_wait: Callable[[float], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(dsn, **kwargs)
        self._acquire_timeout = acquire_timeout
        self._observe_wait = observe_wait
        # At most max_size acquirers reach asyncpg's queue, so it always has a connection for
        # them; the rest wait in arrival order. Connections handed out: by proxy identity.
        self._line = AdmissionGate(kwargs["max_size"])
        self._held: set[int] = set()

    async def _acquire(self, timeout: float | None) -> Any:
        """A connection within the deadline; at most one timer, and none in the common case.

        Past the line, asyncpg's queue always holds a connection holder for the acquirer (the
        line admits at most ``max_size``, and a place is given back only once its holder is back
        in the queue), so asyncpg's own acquire can only wait for a new connection to be opened,
        which its connect timeout (the same deadline, ``timeout`` in ``open_pool``) bounds. So
        asyncpg gets no timeout of its own (that was a ``wait_for`` and a timer per query), and
        only an acquirer that waits in line runs under a deadline, one for the wait and the
        acquire together. (asyncpg also reuses an acquire's timeout as the budget of its
        release, another timer; without one, what a release may wait on, the ROLLBACK of an
        abandoned transaction, the cancel request of an interrupted query or the close of a
        connection past ``max_queries``, is bounded by ``command_timeout``, which asyncpg applies
        to each of them when given no timeout.)
        """
        started = time.perf_counter()
        try:
            if self._line.try_enter():
                proxy = await self._acquire_in_line()
            else:
                async with asyncio.timeout(self._acquire_timeout if timeout is None else timeout):
                    await self._line.enter()
                    proxy = await self._acquire_in_line()
            self._held.add(id(proxy))
            return proxy
        finally:
            if self._observe_wait is not None:
                self._observe_wait(time.perf_counter() - started)

    async def _acquire_in_line(self) -> Any:
        """asyncpg's acquire for an acquirer holding a place in line; the place is given back if it fails."""
        acquired = False
        try:
            proxy = await super()._acquire(None)
            acquired = True
            return proxy
        finally:
            if not acquired:
                self._line.leave()

    async def release(self, connection: Any, *, timeout: float | None = None) -> None:
        """asyncpg's release, without a trip through the event loop when nothing has to wait.

        asyncpg shields its release in a task of its own (so a cancelled caller cannot leave a
        connection half returned). Run as plain tasks, that task and the shield's completion
        cost four event-loop callbacks on every release, though the common release (no
        transaction left open, the kit's no-op reset) never waits: they were half of the loop's
        callbacks in a request (bench/micro.py). Here the release starts as an eager task
        (``eager_task``, made the loop's task factory only while the task is created, so
        asyncpg's shielded task is eager too): when nothing waits, both finish on
        the spot; when something does (a ROLLBACK), they run as ordinary tasks, still shielded.
        The caller's place in line is given back once the connection is back in asyncpg's
        queue, even when the caller is cancelled first, so an acquirer past the line always
        finds a connection (``_acquire``).
        """
        releasing = self._start_release(connection, timeout)
        try:
            await asyncio.shield(releasing)  # already done in the common case: no suspension
        finally:
            if releasing.done():
                self._give_back(connection, releasing)
            else:  # cancelled while the connection is still on its way back
                releasing.add_done_callback(functools.partial(self._give_back, connection))

    def _start_release(self, connection: Any, timeout: float | None) -> asyncio.Task[None]:
        loop = asyncio.get_running_loop()
        factory = loop.get_task_factory()
        loop.set_task_factory(eager_task)
        try:
            return loop.create_task(super().release(connection, timeout=timeout))
        finally:
            loop.set_task_factory(factory)

    def _give_back(self, connection: Any, released: asyncio.Task[None]) -> None:
        if not released.cancelled():
            released.exception()  # retrieved (the awaiting caller, if still there, got it raised)
        if id(connection) in self._held:  # not for a second release or a foreign connection
            self._held.discard(id(connection))
            self._line.leave()


def eager_task(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
    """A task factory whose tasks start eagerly, whatever keywords the loop passes.

    ``asyncio.eager_task_factory`` takes only ``name`` and ``context``; uvloop, which Granian
    picks by itself when it is installed, also passes ``eager_start`` to a loop's task factory.
    """
    kwargs["eager_start"] = True
    return asyncio.Task(coro, loop=loop, **kwargs)


async def _keep_session(_: asyncpg.Connection) -> None:
    """Release hook: skip asyncpg's reset query, one database round trip per request.

    Before this hook runs asyncpg has already rolled back any transaction left open. The reset
    query it would send next (``SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL``) undoes session state: session advisory locks, cursors outside transactions,
    LISTEN and ``SET``. No pooled query in the fleet creates any of these (migrations take their
    advisory lock on their own connection, ``statement_timeout`` is a connect-time setting),
    and a check in ``tests/standards`` should keep it that way.
    """


async def open_pool(
    settings: KitSettings,
    *,
    observe_wait: Callable[[float], None] | None = None,
    tracer: trace.Tracer | None = None,
) -> KitPool:
    """Open the worker's pool without requiring the database to be up.

    asyncpg opens ``min_size`` connections inside the constructor and fails when PostgreSQL is
    down, which would crash-loop the pod. The pool therefore starts empty (the service is alive,
    not ready) and :func:`warm` brings it to ``DB_POOL_MIN_SIZE`` once the database answers.
    With a ``tracer``, queries under a sampled request get spans (``fleetkit.telemetry``).
    """
    pool = KitPool(
        settings.database_url,
        acquire_timeout=settings.db_acquire_timeout_s,
        observe_wait=observe_wait,
        init_size=0,
        min_size=0,
        max_size=settings.db_pool_max_size,
        max_queries=50_000,
        max_inactive_connection_lifetime=settings.db_max_inactive_lifetime_s,
        command_timeout=settings.db_command_timeout_s,
        timeout=settings.db_acquire_timeout_s,
        server_settings={
            "jit": "off",
            "statement_timeout": str(settings.db_statement_timeout_ms),
            "application_name": settings.service_name,
        },
        loop=None,
        connect=None,
        setup=None,
        init=None,
        reset=_keep_session,
        connection_class=connection_class(tracer, settings.database_url),
        record_class=asyncpg.Record,
    )
    await pool
    return pool


async def ping(pool: asyncpg.Pool, timeout: float) -> bool:
    """True when the pool can run ``SELECT 1`` within ``timeout`` seconds."""
    try:
        async with pool.acquire(timeout=timeout) as conn:
            return bool(await conn.fetchval(SELECT_ONE, timeout=timeout) == 1)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return False


async def warm(pool: asyncpg.Pool, size: int, timeout: float) -> int:
    """Open up to ``size`` connections now so the first requests do not pay for connecting."""
    held = 0
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(size):
            try:
                await stack.enter_async_context(pool.acquire(timeout=timeout))
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.info("pool_warm_incomplete", opened=held, error=type(exc).__name__)
                break
            held += 1
    return held
