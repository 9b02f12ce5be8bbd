"""The kit's connection pool (``fleetkit.db.KitPool``) on a real PostgreSQL.

What it must keep: at most ``max_size`` server connections, first come first served, a deadline
on every acquire, a connection handed on only in a known state, and, in the common case, no
task, future or timer of its own.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from kit_support import kit_settings

from fleetkit.db import EVENTS, KitPool, open_pool, warm


def _pool(dsn: str, **overrides: Any) -> KitPool:
    options: dict[str, Any] = {"max_size": 2, "acquire_timeout": 5.0, "close_timeout": 5.0}
    options.update(overrides)
    return KitPool(functools.partial(asyncpg.connect, dsn, timeout=5, command_timeout=5), **options)


@asynccontextmanager
async def _opened(dsn: str, **overrides: Any) -> AsyncIterator[KitPool]:
    """A pool for one test, terminated at the end (``close()`` would wait for what a failed test holds)."""
    pool = _pool(dsn, **overrides)
    try:
        yield pool
    finally:
        pool.terminate()


@pytest.fixture
async def small_pool(database_url: str) -> AsyncIterator[KitPool]:
    async with _opened(database_url) as pool:
        yield pool


def _places(pool: KitPool) -> int:
    """Server connections the pool holds or is opening."""
    return pool.get_size() + pool._opening


@contextmanager
def _counting_loop_work() -> Iterator[dict[str, int]]:
    """Count the tasks, futures and timers the running loop makes."""
    loop = asyncio.get_running_loop()
    counts = {"create_task": 0, "create_future": 0, "call_at": 0, "call_soon": 0}
    originals = {name: getattr(loop, name) for name in counts}

    def counting(name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return originals[name](*args, **kwargs)

        return call

    for name in counts:
        setattr(loop, name, counting(name))
    try:
        yield counts
    finally:
        for name in counts:
            delattr(loop, name)  # the instance attribute goes; the class's method is back


async def test_acquirers_are_served_in_arrival_order_under_contention(small_pool: KitPool) -> None:
    """32 workers, 2 connections: every acquire is served in the order it was asked for.

    asyncpg's own pool fails this (30 to 50 inversions in a run, some acquirers served 29
    places late: a waiter woken by a release loses the connection to a newcomer and goes back
    to the end of the line); that is what made the benchmark's p99 six times its p50.
    """
    await warm(small_pool, 2, 5.0)  # no connection is being opened during the run
    tickets = itertools.count()
    served: list[int] = []
    most = 0

    async def worker() -> None:
        nonlocal most
        for _ in range(20):
            ticket = next(tickets)
            async with small_pool.acquire() as conn:
                served.append(ticket)
                most = max(most, _places(small_pool))
                await conn.fetchval("SELECT 1")

    await asyncio.gather(*(worker() for _ in range(32)))
    assert len(served) == 640
    assert served == sorted(served)
    assert most == 2


async def test_lending_an_idle_connection_and_taking_it_back_makes_no_task_future_or_timer(
    small_pool: KitPool,
) -> None:
    await warm(small_pool, 1, 5.0)
    with _counting_loop_work() as counts:
        conn = await small_pool.acquire()
        releasing = small_pool.release(conn)
        with pytest.raises(StopIteration):
            releasing.send(None)  # one step: finished, never suspended on the loop
        async with small_pool.acquire():
            pass
    assert counts == {"create_task": 0, "create_future": 0, "call_at": 0, "call_soon": 0}
    assert small_pool.get_idle_size() == 1


async def test_a_query_through_the_pool_adds_no_loop_work_to_the_query_s_own(small_pool: KitPool) -> None:
    """``pool.fetchval`` costs what ``conn.fetchval`` on a held connection costs, loop-wise."""
    held = await small_pool.acquire()
    await held.fetchval("SELECT 1")  # prepared and cached: both runs below are the same round trip
    with _counting_loop_work() as direct:
        await held.fetchval("SELECT 1")
    await small_pool.release(held)
    with _counting_loop_work() as pooled:
        assert await small_pool.fetchval("SELECT 1") == 1
    assert pooled == direct


async def test_an_acquire_that_times_out_in_line_gets_nothing_and_keeps_the_count(small_pool: KitPool) -> None:
    first = await small_pool.acquire()
    second = await small_pool.acquire()
    with pytest.raises(TimeoutError):
        await small_pool.acquire(timeout=0.05)
    await small_pool.release(first)
    await small_pool.release(first)  # a second release changes nothing
    third = await small_pool.acquire(timeout=1)
    assert await third.fetchval("SELECT 1") == 1
    await small_pool.release(second)
    await small_pool.release(third)
    assert small_pool.get_idle_size() == 2
    assert not small_pool._waiters


async def test_waiters_share_one_deadline_timer_and_each_keeps_its_own_deadline(database_url: str) -> None:
    async with _opened(database_url, acquire_timeout=0.3) as pool:
        held = [await pool.acquire(), await pool.acquire()]
        loop = asyncio.get_running_loop()
        armed: list[Any] = []
        call_at = loop.call_at

        def recording(when: float, callback: Any, *args: Any, **kwargs: Any) -> asyncio.TimerHandle:
            armed.append(callback)
            return call_at(when, callback, *args, **kwargs)

        loop.call_at = recording  # type: ignore[method-assign]
        try:
            started = loop.time()
            first = [asyncio.create_task(pool.fetchval("SELECT 1")) for _ in range(5)]
            await asyncio.sleep(0)  # all five are in line
        finally:
            del loop.call_at
        assert armed == [pool._expire]  # one timer for the five, not one each
        await asyncio.sleep(0.1)
        later = asyncio.create_task(pool.fetchval("SELECT 1"))
        for waiter in first:
            with pytest.raises(TimeoutError):
                await waiter
        assert loop.time() - started >= 0.25
        assert not later.done()  # its deadline is its own, 0.1 s later
        with pytest.raises(TimeoutError):
            await later
        assert loop.time() - started >= 0.35
        assert not pool._waiters
        for conn in held:
            await pool.release(conn)
        assert await pool.fetchval("SELECT 2") == 2


async def test_a_returned_connection_refuses_to_be_used(small_pool: KitPool) -> None:
    conn = await small_pool.acquire()
    await small_pool.release(conn)
    with pytest.raises(asyncpg.InterfaceError, match="given back to the pool"):
        await conn.fetchval("SELECT 1")


async def test_a_foreign_connection_is_refused_without_freeing_a_place(small_pool: KitPool, database_url: str) -> None:
    held = await small_pool.acquire()
    other = await asyncpg.connect(database_url)
    async with _opened(database_url) as another_pool:
        lent_elsewhere = await another_pool.acquire()
        try:
            with pytest.raises(asyncpg.InterfaceError):
                await small_pool.release(other)
            with pytest.raises(asyncpg.InterfaceError):
                await small_pool.release(lent_elsewhere)
            assert await lent_elsewhere.fetchval("SELECT 1") == 1  # still lent by its own pool
            assert small_pool.get_idle_size() == 0
        finally:
            await other.close()
            await another_pool.release(lent_elsewhere)
            await small_pool.release(held)
    assert small_pool.get_idle_size() == 1


async def test_opening_a_connection_is_bounded_by_the_acquire_deadline() -> None:
    """The "database" accepts TCP connections and never answers (a hung server, not a refused
    port): opening a connection would wait forever without a deadline."""
    accepted: list[asyncio.StreamWriter] = []

    async def silent(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pool = await open_pool(
        kit_settings(f"postgresql://kit@127.0.0.1:{port}/kit", db_pool_max_size=2, db_acquire_timeout_s=0.3)
    )
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(TimeoutError):
            await pool.fetchval("SELECT 1")
        assert 0.25 <= loop.time() - started < 2.0
        assert accepted  # it did reach the server and wait on it
        assert _places(pool) == 0  # the place is free again
    finally:
        pool.terminate()
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_a_database_that_refuses_fails_fast_and_frees_the_place(unreachable_database_url: str) -> None:
    pool = await open_pool(kit_settings(unreachable_database_url, db_pool_max_size=1, db_acquire_timeout_s=2.0))
    try:
        for _ in range(3):
            with pytest.raises(ConnectionRefusedError):
                await pool.fetchval("SELECT 1")
            assert _places(pool) == 0
    finally:
        pool.terminate()


async def test_an_idle_connection_the_server_ended_is_replaced_not_lent(small_pool: KitPool, database_url: str) -> None:
    pid = await small_pool.fetchval("SELECT pg_backend_pid()")
    admin = await asyncpg.connect(database_url)
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()
    for _ in range(100):  # until asyncpg has seen the connection end
        if small_pool._idle[0].con.is_closed():
            break
        await asyncio.sleep(0.01)
    assert await small_pool.fetchval("SELECT pg_backend_pid()") not in {pid, None}
    assert small_pool.get_size() == 1


async def test_a_place_freed_for_a_waiter_is_not_taken_by_a_newcomer(small_pool: KitPool) -> None:
    """A connection that comes back closed frees its place for the oldest waiter, which opens a
    new one; a newcomer arriving before the waiter runs waits behind it instead of opening a
    connection too (the pool would then hold more than ``max_size``)."""
    first = await small_pool.acquire()
    second = await small_pool.acquire()
    waiter = asyncio.create_task(small_pool.fetchval("SELECT 'waiter'"))
    await asyncio.sleep(0.01)
    first.terminate()
    await small_pool.release(first)  # closed: its place goes to the waiter
    # Started at once (eagerly), before the waiter it was freed for has run:
    newcomer = asyncio.Task(small_pool.fetchval("SELECT 'newcomer'"), loop=asyncio.get_running_loop(), eager_start=True)
    assert _places(small_pool) == 2  # the second connection and the place kept for the waiter
    assert len(small_pool._waiters) == 1  # the newcomer waits
    assert await asyncio.wait_for(waiter, 5) == "waiter"
    assert await asyncio.wait_for(newcomer, 5) == "newcomer"
    assert _places(small_pool) == 2
    await small_pool.release(second)


async def test_a_waiter_cancelled_after_being_handed_a_connection_passes_it_on(small_pool: KitPool) -> None:
    first = await small_pool.acquire()
    second = await small_pool.acquire()
    cancelled = asyncio.create_task(small_pool.fetchval("SELECT 'cancelled'"))
    served = asyncio.create_task(small_pool.fetchval("SELECT 'served'"))
    await asyncio.sleep(0.01)
    await small_pool.release(first)  # handed to `cancelled`, which has not run yet ...
    cancelled.cancel()  # ... and is cancelled before it does
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert await asyncio.wait_for(served, 5) == "served"
    await small_pool.release(second)
    assert small_pool.get_idle_size() == 2


async def test_a_connection_failing_with_a_postgres_error_goes_straight_back(small_pool: KitPool) -> None:
    pid = await small_pool.fetchval("SELECT pg_backend_pid()")
    with pytest.raises(asyncpg.DivisionByZeroError):
        await small_pool.fetchval("SELECT 1 / 0")
    assert not small_pool._busy  # no reset: the server answered and is ready for the next query
    assert small_pool.get_idle_size() == 1
    assert await small_pool.fetchval("SELECT pg_backend_pid()") == pid


async def test_a_connection_left_in_a_transaction_is_rolled_back_before_it_is_lent_again(
    small_pool: KitPool,
) -> None:
    conn = await small_pool.acquire()
    pid = await conn.fetchval("SELECT pg_backend_pid()")
    transaction = conn.transaction()
    await transaction.start()
    await conn.execute("CREATE TEMPORARY TABLE left_open (n int)")
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _, context: reported.append(context))  # asyncpg reports it there
    try:
        await small_pool.release(conn)
        assert small_pool.get_idle_size() == 0  # not lendable until it is rolled back
        assert small_pool.get_size() == 1  # and still counted
        await asyncio.gather(*small_pool._busy)
    finally:
        loop.set_exception_handler(None)
    assert "active transaction" in reported[0]["message"]
    async with small_pool.acquire(timeout=1) as again:
        assert await again.fetchval("SELECT pg_backend_pid()") == pid  # the same session, reset
        assert await again.fetchval("SELECT count(*) FROM pg_tables WHERE tablename = 'left_open'") == 0
        assert not again.is_in_transaction()


async def test_an_interrupted_query_is_cancelled_on_the_server_and_its_connection_reused(database_url: str) -> None:
    async with _opened(database_url, max_size=1) as pool:
        pid = await pool.fetchval("SELECT pg_backend_pid()")
        sleeping = asyncio.create_task(pool.execute("SELECT pg_sleep(30)"))
        await asyncio.sleep(0.2)
        sleeping.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sleeping
        assert pool.get_size() == 1  # counted while asyncpg's cancel request and the reset run
        assert pool.get_idle_size() == 0
        async with pool.acquire(timeout=5) as again:  # served once the reset is done
            assert await again.fetchval("SELECT pg_backend_pid()") == pid
    observer = await asyncpg.connect(database_url)
    try:
        running = await observer.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'"
        )
    finally:
        await observer.close()
    assert running == 0


async def test_a_connection_is_replaced_after_max_uses(database_url: str) -> None:
    async with _opened(database_url, max_size=1, max_uses=3) as pool:
        pids = [await pool.fetchval("SELECT pg_backend_pid()") for _ in range(7)]
        assert pids[0] == pids[1] == pids[2]
        assert pids[3] == pids[4] == pids[5]
        assert len({pids[0], pids[3], pids[6]}) == 3
        assert _places(pool) <= 1


async def test_idle_connections_are_closed_down_to_the_minimum(database_url: str) -> None:
    async with _opened(database_url, max_size=3, min_size=1, max_idle_s=0.1) as pool:
        assert await warm(pool, 3, 5.0) == 3
        assert pool.get_idle_size() == 3
        for _ in range(50):
            await asyncio.sleep(0.02)
            if pool.get_size() == 1:
                break
        assert pool.get_size() == 1
        assert pool.get_idle_size() == 1
        assert await pool.fetchval("SELECT 1") == 1


async def test_close_waits_for_lent_connections_and_turns_waiters_away(database_url: str) -> None:
    pool = _pool(database_url, max_size=1)
    lent = await pool.acquire()
    waiter = asyncio.create_task(pool.fetchval("SELECT 1"))
    await asyncio.sleep(0.01)
    closing = asyncio.create_task(pool.close())
    with pytest.raises(asyncpg.InterfaceError):
        await waiter
    with pytest.raises(asyncpg.InterfaceError):
        await pool.fetchval("SELECT 1")
    await asyncio.sleep(0.05)
    assert not closing.done()  # the lent connection is not back
    assert await lent.fetchval("SELECT 2") == 2
    await pool.release(lent)
    await asyncio.wait_for(closing, 5)
    assert pool.get_size() == 0
    assert lent._slot is None


async def test_close_ends_when_a_connection_handed_to_a_cancelled_waiter_comes_back_after_it(database_url: str) -> None:
    """A connection handed to a waiter that is cancelled once the pool is closing is closed, not shelved."""
    pool = _pool(database_url, max_size=1)
    try:
        lent = await pool.acquire()
        waiter = asyncio.create_task(pool.fetchval("SELECT 1"))
        go = asyncio.Event()

        async def close_when_told() -> None:
            await go.wait()
            await pool.close()

        closing = asyncio.create_task(close_when_told())
        await asyncio.sleep(0.01)
        go.set()  # the closer runs next ...
        await pool.release(lent)  # ... then the waiter, handed the connection before the close ...
        waiter.cancel()  # ... and cancelled: it passes the connection on, after the close began
        with pytest.raises(asyncio.CancelledError):
            await waiter
        await asyncio.wait_for(closing, 5)
        assert pool.get_size() == 0
        assert pool.get_idle_size() == 0
    finally:
        pool.terminate()


async def test_terminate_closes_lent_connections_too(database_url: str) -> None:
    pool = _pool(database_url)
    lent = await pool.acquire()
    raw = lent._slot.con
    pool.terminate()
    assert raw.is_closed()
    assert pool.get_size() == 0
    await pool.release(lent)  # a late release after terminate changes nothing
    assert pool.get_size() == 0


async def test_the_pool_tells_what_happens_to_its_connections(database_url: str) -> None:
    events: list[str] = []
    async with _opened(database_url, max_size=1, max_uses=3, on_event=events.append) as pool:
        pid = await pool.fetchval("SELECT pg_backend_pid()")  # opened (use 1)
        with pytest.raises(asyncpg.DivisionByZeroError):
            await pool.fetchval("SELECT 1 / 0")  # use 2: nothing to tell
        assert events == ["opened"]
        sleeping = asyncio.create_task(pool.execute("SELECT pg_sleep(30)"))  # use 3
        await asyncio.sleep(0.2)
        sleeping.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sleeping
        while pool._busy:  # reset, then closed (its third use) by a task the reset starts
            await asyncio.gather(*pool._busy)
        assert events == ["opened", "reset", "closed"]
        pid = await pool.fetchval("SELECT pg_backend_pid()")
        admin = await asyncpg.connect(database_url)
        try:
            await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()
        for _ in range(100):
            if pool._idle[0].con.is_closed():
                break
            await asyncio.sleep(0.01)
        assert await pool.fetchval("SELECT 1") == 1
        assert events == ["opened", "reset", "closed", "opened", "lost", "opened"]
    assert set(events) <= set(EVENTS)


async def test_closing_a_retired_connection_is_bounded_when_the_server_stops_answering(database_url: str) -> None:
    """Taking a connection back never waits; closing a retired one (past ``max_uses``) runs in
    the background and still ends within the close timeout when the server never acknowledges
    the close (a frozen network path), then frees its place."""
    upstream = urlsplit(database_url)
    frozen = asyncio.Event()
    pumps: set[asyncio.Task[None]] = set()

    async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, client_side: bool) -> None:
        try:
            while data := await reader.read(65536):
                if client_side and frozen.is_set():
                    continue  # swallowed: the server never hears from the client again
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(upstream.hostname, upstream.port or 5432)
        for task in (
            asyncio.create_task(pump(reader, up_writer, client_side=True)),
            asyncio.create_task(pump(up_reader, writer, client_side=False)),
        ):
            pumps.add(task)
            task.add_done_callback(pumps.discard)

    proxy = await asyncio.start_server(relay, "127.0.0.1", 0)
    port = proxy.sockets[0].getsockname()[1]
    through_proxy = urlunsplit(upstream._replace(netloc=f"{upstream.username}@127.0.0.1:{port}"))
    pool = _pool(through_proxy, max_uses=1, close_timeout=0.5)
    try:
        conn = await pool.acquire()
        assert await conn.fetchval("SELECT 1") == 1
        frozen.set()
        loop = asyncio.get_running_loop()
        started = loop.time()
        await pool.release(conn)  # its last use: retired, closed in the background
        assert pool.get_size() == 1  # still counted while it closes
        while pool.get_size():
            await asyncio.sleep(0.02)
        assert loop.time() - started < 2.0
        assert conn._slot is None
        frozen.clear()
        assert await pool.fetchval("SELECT 2", timeout=2) == 2  # a fresh connection, thawed path
    finally:
        pool.terminate()
        for task in list(pumps):
            task.cancel()
        proxy.close()
        await proxy.wait_closed()
