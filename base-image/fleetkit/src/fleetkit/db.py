"""The worker's pool of asyncpg connections: the kit's own, created once per worker in the lifespan.

``KitPool`` lends ``asyncpg`` connections the way ``asyncpg.Pool`` does (``pool.fetchrow(...)``,
``async with pool.acquire() as conn``) with what the fleet needs and asyncpg's pool lacks:

- **a deadline on every acquire.** asyncpg's ``pool.fetch()`` and friends acquire with no timeout,
  so an exhausted pool made requests hang instead of failing fast with 503;
- **first come, first served.** A returned connection goes straight to the oldest waiter; asyncpg's
  queue let a newcomer take a connection released to a waiter that had not run yet, so under load a
  few requests waited far longer than the rest;
- **nothing on the loop in the common case.** Lending an idle connection and taking it back are
  plain function calls: no task, no future, no timer. Behind asyncpg's ``pool.fetchrow`` were a
  holder future, a queue, a context object, a proxy, a shielded release task and an inactivity
  timer re-armed on every release (what that cost: docs/performance.md, item 12);
- **the session is kept.** A connection comes back without asyncpg's reset query (one more round
  trip per request); no pooled query creates session state, and ``tests/standards`` checks it.

A connection that comes back in doubt (its query was interrupted, it was left inside a
transaction, it failed other than with a PostgreSQL error) is reset in the background, bounded
by ``command_timeout``, or closed; it counts against ``max_size`` until then, so the pool never
holds more server connections than its size. Connections are replaced after ``max_uses`` lends
and closed after ``max_idle_s`` idle (one sweep timer per pool, not one per release), down to
``min_size``. What happens to connections (``EVENTS``) is told to ``on_event``: the lifespan
counts it in ``db_pool_connection_events_total``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Generator
from types import TracebackType
from typing import Any, Self

import asyncpg

from fleetkit.connection import Connection
from fleetkit.logging import get_logger
from fleetkit.settings import KitSettings

__all__ = ["EVENTS", "KitPool", "Lease", "PooledConnection", "open_pool", "warm"]

log = get_logger("fleetkit.db")

type Connect = Callable[[], Awaitable[asyncpg.Connection]]

#: What ``on_event`` is told: a connection was opened; closed by the pool (past ``max_uses``, idle
#: too long, shutdown); reset after coming back in doubt; discarded because that reset failed;
#: lost (found closed by the server or the network).
EVENTS = ("opened", "closed", "reset", "discarded", "lost")


class _Slot:
    """One server connection of the pool, open or being opened."""

    __slots__ = ("con", "idle_since", "uses")

    def __init__(self, con: asyncpg.Connection) -> None:
        self.con = con
        self.uses = 0
        self.idle_since = 0.0


class PooledConnection:
    """What ``acquire()`` lends: the connection's methods until it is given back, then an error.

    Typed as ``fleetkit.connection.Connection``. Every attribute is the connection's own
    (``fetchrow``, ``transaction()``, ``cursor()``, ...); once the lease ends, any use raises
    ``asyncpg.InterfaceError`` instead of running a query on a connection that another request
    may hold by then.
    """

    __slots__ = ("_pool", "_slot")

    def __init__(self, pool: KitPool, slot: _Slot) -> None:
        self._pool = pool
        self._slot: _Slot | None = slot

    def __getattr__(self, name: str) -> Any:
        slot = self._slot
        if slot is None:
            msg = f"cannot use the connection's {name}: it has been given back to the pool"
            raise asyncpg.InterfaceError(msg)
        return getattr(slot.con, name)

    def __repr__(self) -> str:
        return f"<PooledConnection {'released' if self._slot is None else repr(self._slot.con)}>"


class Lease:
    """``pool.acquire()``: ``async with`` it (the connection comes back on exit) or await it."""

    __slots__ = ("_conn", "_pool", "_timeout")

    def __init__(self, pool: KitPool, timeout: float | None) -> None:
        self._pool = pool
        self._timeout = timeout
        self._conn: PooledConnection | None = None

    def __await__(self) -> Generator[Any, None, Connection]:
        return self._pool._lend(self._timeout).__await__()

    async def __aenter__(self) -> Connection:
        self._conn = await self._pool._lend(self._timeout)
        return self._conn

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self._pool._end_lease(conn, clean=exc is None or isinstance(exc, asyncpg.PostgresError))


class KitPool:
    """At most ``max_size`` connections to one database, lent first come, first served."""

    __slots__ = (
        "_acquire_timeout",
        "_busy",
        "_close_timeout",
        "_closed",
        "_connect",
        "_emptied",
        "_expiry",
        "_idle",
        "_max_idle_s",
        "_max_size",
        "_max_uses",
        "_min_size",
        "_observe_wait",
        "_on_event",
        "_opening",
        "_slots",
        "_sweep",
        "_waiters",
    )

    def __init__(
        self,
        connect: Connect,
        *,
        max_size: int,
        min_size: int = 0,
        acquire_timeout: float,
        close_timeout: float,
        max_uses: int = 50_000,
        max_idle_s: float = 300.0,
        observe_wait: Callable[[float], None] | None = None,
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        self._connect = connect
        self._max_size = max_size
        self._min_size = min(min_size, max_size)
        self._acquire_timeout = acquire_timeout
        self._close_timeout = close_timeout
        self._max_uses = max_uses
        self._max_idle_s = max_idle_s
        self._observe_wait = observe_wait
        # Told what happens to connections (EVENTS), for the db_pool_connection_events counter.
        self._on_event = on_event
        self._idle: list[_Slot] = []  # a stack: the most recently used connection is lent first
        self._slots: dict[asyncpg.Connection, _Slot] = {}  # every open connection
        self._opening = 0  # connections being opened: they count against max_size
        # Waiters, oldest first, with their deadline (inf: the waiter keeps its own timer). A
        # waiter is handed a connection, or None: a place kept for it to open one in.
        self._waiters: deque[tuple[asyncio.Future[_Slot | None], float]] = deque()
        self._expiry: asyncio.TimerHandle | None = None  # the one timer of all default deadlines
        self._busy: set[asyncio.Task[None]] = set()  # resets and closes in the background
        self._sweep: asyncio.TimerHandle | None = None
        self._closed = False
        self._emptied: asyncio.Event | None = None

    # -- queries: lend, run, take back; no await besides the query's in the common case --------

    async def fetch(self, query: str, *args: object, timeout: float | None = None) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = await self._run("fetch", query, args, timeout=timeout)
        return rows

    async def fetchrow(self, query: str, *args: object, timeout: float | None = None) -> asyncpg.Record | None:
        row: asyncpg.Record | None = await self._run("fetchrow", query, args, timeout=timeout)
        return row

    async def fetchval(self, query: str, *args: object, column: int = 0, timeout: float | None = None) -> object:
        value: object = await self._run("fetchval", query, args, column=column, timeout=timeout)
        return value

    async def execute(self, query: str, *args: object, timeout: float | None = None) -> str:
        status: str = await self._run("execute", query, args, timeout=timeout)
        return status

    async def _run(self, method: str, query: str, args: tuple[object, ...], **kwargs: object) -> Any:
        slot = self._lend_idle() or await self._wait_for_slot(None)
        clean = False
        try:
            result = await getattr(slot.con, method)(query, *args, **kwargs)
            clean = True
            return result
        except asyncpg.PostgresError:
            clean = True  # the server answered with an error: ready for the next query
            raise
        finally:
            self._take_back(slot, clean=clean)

    # -- leases --------------------------------------------------------------------------------

    def acquire(self, *, timeout: float | None = None) -> Lease:
        """A connection within ``timeout`` (default: the acquire timeout) or ``TimeoutError``."""
        return Lease(self, timeout)

    async def release(self, connection: Connection, *, timeout: float | None = None) -> None:
        """Give back a connection from ``await pool.acquire()``; a second release does nothing.

        Like leaving ``async with pool.acquire()`` without an exception: the caller is done with
        it. A transaction left open is still rolled back (in the background) before the
        connection is lent again, and a query still being cancelled is waited for by the next
        one (asyncpg's protocol does that itself).
        """
        if not isinstance(connection, PooledConnection):
            msg = f"{connection!r} was not lent by this pool"
            raise asyncpg.InterfaceError(msg)
        self._end_lease(connection, clean=True)

    async def _lend(self, timeout: float | None) -> PooledConnection:
        slot = self._lend_idle() or await self._wait_for_slot(timeout)
        return PooledConnection(self, slot)

    def _end_lease(self, conn: PooledConnection, *, clean: bool) -> None:
        if conn._pool is not self:
            msg = f"{conn!r} was not lent by this pool"
            raise asyncpg.InterfaceError(msg)
        slot, conn._slot = conn._slot, None
        if slot is not None and self._slots.get(slot.con) is slot:  # not given back yet, not terminated
            self._take_back(slot, clean=clean)

    # -- the line ------------------------------------------------------------------------------

    def _lend_idle(self) -> _Slot | None:
        """An idle connection, when one is free and nobody waits for it (no await)."""
        idle = self._idle
        while idle and not self._waiters:
            slot = idle.pop()
            if slot.con.is_closed():  # ended while idle (a database restart, a killed backend)
                self._forget(slot, "lost")
                continue
            if self._observe_wait is not None:
                self._observe_wait(0.0)
            return slot
        return None

    async def _wait_for_slot(self, timeout: float | None) -> _Slot:
        """Open a connection when the pool is below its size, else wait in line; within one deadline."""
        if self._closed:
            msg = "the pool is closed"
            raise asyncpg.InterfaceError(msg)
        started = time.perf_counter()
        try:
            if not self._waiters and len(self._slots) + self._opening < self._max_size:
                self._opening += 1  # the free place is this acquirer's
                if timeout is None or timeout >= self._acquire_timeout:
                    return await self._open()  # the connect timeout is the acquire timeout
                async with asyncio.timeout(timeout):
                    return await self._open()
            return await self._wait_in_line(timeout)
        finally:
            if self._observe_wait is not None:
                self._observe_wait(time.perf_counter() - started)

    async def _wait_in_line(self, timeout: float | None) -> _Slot:
        """Wait for a connection, or for a place to open one in, until the deadline.

        Waiters with the default timeout arrive in order with the same timeout, so their
        deadlines are in line order too: one timer, armed for the earliest, serves them all
        (``_expire``), instead of an ``asyncio.timeout`` each. A waiter with a timeout of its own
        keeps its own timer.
        """
        loop = asyncio.get_running_loop()
        place: asyncio.Future[_Slot | None] = loop.create_future()
        if timeout is None:
            deadline = loop.time() + self._acquire_timeout
            self._waiters.append((place, deadline))
            if self._expiry is None:
                self._expiry = loop.call_at(deadline, self._expire)
            slot = await self._in_line(place)
        else:
            deadline = loop.time() + timeout
            async with asyncio.timeout_at(deadline):
                self._waiters.append((place, math.inf))
                slot = await self._in_line(place)
        if slot is not None:
            return slot
        async with asyncio.timeout_at(deadline):  # handed a place: open a connection in what is left
            return await self._open()

    async def _in_line(self, place: asyncio.Future[_Slot | None]) -> _Slot | None:
        try:
            return await place
        except asyncio.CancelledError:
            if place.done() and not place.cancelled():
                self._pass_on(place.result())  # handed over just before: pass it on
            else:
                self._waiters = deque(waiter for waiter in self._waiters if waiter[0] is not place)
            raise

    def _expire(self) -> None:
        """Fail the waiters whose default deadline has passed; arm the timer for the next one."""
        loop = asyncio.get_running_loop()
        self._expiry = None
        now = loop.time()
        waiting: deque[tuple[asyncio.Future[_Slot | None], float]] = deque()
        for place, deadline in self._waiters:
            if place.done():
                continue
            if deadline <= now:
                place.set_exception(TimeoutError(f"no database connection within {self._acquire_timeout} s"))
            else:
                waiting.append((place, deadline))
        self._waiters = waiting
        upcoming = min((deadline for _, deadline in waiting), default=math.inf)
        if upcoming < math.inf:
            self._expiry = loop.call_at(upcoming, self._expire)

    async def _open(self) -> _Slot:
        """Open a connection in a place kept for it in ``_opening`` (bounded by the connect timeout)."""
        opened = False
        try:
            con = await self._connect()
            opened = True
        finally:
            self._opening -= 1
            if not opened:  # refused, timed out or cancelled: the place goes to the next in line
                self._place_freed()
        slot = _Slot(con)
        self._slots[con] = slot
        self._event("opened")
        if self._closed:  # closed while connecting: not lent
            self._retire(slot)
            msg = "the pool is closed"
            raise asyncpg.InterfaceError(msg)
        self._arm_sweep()
        return slot

    def _pass_on(self, slot: _Slot | None) -> None:
        if slot is None:
            self._opening -= 1
            self._place_freed()
        else:
            self._shelve(slot)

    def _place_freed(self) -> None:
        """A place in the pool is free (a connection closed, or failed to open): the oldest waiter opens one.

        The place is counted in ``_opening`` at once, so no newcomer takes it before the waiter runs.
        """
        while self._waiters:
            place, _ = self._waiters.popleft()
            if not place.done():
                self._opening += 1
                place.set_result(None)
                return
        if self._emptied is not None and not self._slots and not self._opening:
            self._emptied.set()

    def _shelve(self, slot: _Slot) -> None:
        """A healthy connection is back: to the oldest waiter, else onto the idle stack.

        Once the pool is closed it is closed instead: a connection handed to a waiter that was
        cancelled after ``close()`` began comes back here, and ``close()`` waits for it to end.
        """
        if self._closed:
            self._retire(slot)
            return
        while self._waiters:
            place, _ = self._waiters.popleft()
            if not place.done():
                place.set_result(slot)
                return
        slot.idle_since = time.monotonic()
        self._idle.append(slot)

    # -- taking connections back ---------------------------------------------------------------

    def _take_back(self, slot: _Slot, *, clean: bool) -> None:
        """The end of a lend. Sound connections go back at once; one in doubt is reset first.

        ``clean``: the last command ended with the server's answer, a result or a PostgreSQL
        error, so the connection is ready for the next one.
        """
        con = slot.con
        slot.uses += 1
        if con.is_closed():
            self._forget(slot, "lost")
        elif not clean or con.is_in_transaction():
            # Interrupted (cancelled, timed out: asyncpg is cancelling the query), failed on the
            # client side, or left inside a transaction: ROLLBACK and reset before anyone else gets it.
            self._in_background(self._reset(slot))
        elif self._closed or slot.uses >= self._max_uses:
            self._retire(slot)
        else:
            self._shelve(slot)

    async def _reset(self, slot: _Slot) -> None:
        reset = False
        try:
            # reset() waits for the cancellation of an interrupted query, rolls back, and undoes
            # session state (asyncpg's reset query); asyncpg reports an unmanaged open
            # transaction to the loop's exception handler, a bug in the caller.
            await slot.con.reset(timeout=self._close_timeout)
            reset = True
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("pool_connection_discarded", reason="reset failed", error=type(exc).__name__)
        finally:
            if not reset:  # whatever stopped it (even a cancellation), the place is freed
                slot.con.terminate()
                self._forget(slot, "discarded")
        if not reset:
            return
        self._event("reset")
        if self._closed or slot.uses >= self._max_uses:
            self._retire(slot)
        else:
            self._shelve(slot)

    def _retire(self, slot: _Slot) -> None:
        """Close a connection in the background; its place frees once it is closed."""
        self._in_background(self._close(slot))

    async def _close(self, slot: _Slot) -> None:
        try:
            await slot.con.close(timeout=self._close_timeout)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            slot.con.terminate()
        finally:
            self._forget(slot, "closed")

    def _forget(self, slot: _Slot, event: str) -> None:
        if self._slots.pop(slot.con, None) is slot:
            self._event(event)
            self._place_freed()

    def _event(self, event: str) -> None:
        if self._on_event is not None:
            self._on_event(event)

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._busy.add(task)
        task.add_done_callback(self._busy.discard)

    # -- idle connections ----------------------------------------------------------------------

    def _arm_sweep(self) -> None:
        if self._sweep is None and not self._closed:
            loop = asyncio.get_running_loop()
            self._sweep = loop.call_later(max(self._max_idle_s / 2, 0.05), self._close_stale)

    def _close_stale(self) -> None:
        """Close connections idle longer than ``max_idle_s``, oldest first, down to ``min_size``."""
        self._sweep = None
        stale_before = time.monotonic() - self._max_idle_s
        staying = len(self._slots)  # those retired here stay in _slots until they are closed
        while self._idle and self._idle[0].idle_since <= stale_before and staying > self._min_size:
            self._retire(self._idle.pop(0))
            staying -= 1
        if self._slots:
            self._arm_sweep()

    # -- size and shutdown ---------------------------------------------------------------------

    def get_size(self) -> int:
        """Open connections, lent or idle."""
        return len(self._slots)

    def get_idle_size(self) -> int:
        return len(self._idle)

    async def close(self) -> None:
        """Refuse new acquires, close idle connections, and wait until every lent one is back and closed."""
        self._shut()
        while self._idle:
            self._retire(self._idle.pop())
        self._emptied = asyncio.Event()
        if self._slots or self._opening:
            await self._emptied.wait()
        await asyncio.gather(*self._busy, return_exceptions=True)

    def terminate(self) -> None:
        """Close every connection at once, lent or not (when ``close()`` took too long)."""
        self._shut()
        self._idle.clear()
        for task in list(self._busy):
            task.cancel()
        for con in list(self._slots):
            con.terminate()
        self._slots.clear()
        if self._emptied is not None:
            self._emptied.set()

    def _shut(self) -> None:
        """No more lends: the sweep stops and waiters get ``InterfaceError``."""
        self._closed = True
        for timer in (self._sweep, self._expiry):
            if timer is not None:
                timer.cancel()
        self._sweep = self._expiry = None
        while self._waiters:
            place, _ = self._waiters.popleft()
            if not place.done():
                place.set_exception(asyncpg.InterfaceError("the pool is closed"))

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()


async def open_pool(
    settings: KitSettings,
    *,
    observe_wait: Callable[[float], None] | None = None,
    on_event: Callable[[str], None] | None = None,
    connection_class: type[asyncpg.Connection] = asyncpg.Connection,
) -> KitPool:
    """The worker's pool, without requiring the database to be up.

    Connections open on first use, so a worker starts while PostgreSQL is down instead of
    crash-looping: the service is alive, not ready, and :func:`warm` brings the pool to
    ``DB_POOL_MIN_SIZE`` once the database answers.
    ``connection_class`` is how query spans plug in (the lifespan passes
    ``fleetkit.query_spans.connection_class(...)``): this module knows nothing of tracing, so a
    handler importing it does not import OpenTelemetry.
    """

    def connect() -> Awaitable[asyncpg.Connection]:
        return asyncpg.connect(  # type: ignore[no-any-return]
            settings.database_url,
            timeout=settings.db_acquire_timeout_s,
            command_timeout=settings.db_command_timeout_s,
            server_settings={
                "jit": "off",
                "statement_timeout": str(settings.db_statement_timeout_ms),
                "application_name": settings.service_name,
            },
            connection_class=connection_class,
        )

    return KitPool(
        connect,
        max_size=settings.db_pool_max_size,
        min_size=settings.db_pool_min_size,
        acquire_timeout=settings.db_acquire_timeout_s,
        close_timeout=settings.db_command_timeout_s,
        max_idle_s=settings.db_max_inactive_lifetime_s,
        observe_wait=observe_wait,
        on_event=on_event,
    )


async def warm(pool: KitPool, size: int, timeout: float) -> int:
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
