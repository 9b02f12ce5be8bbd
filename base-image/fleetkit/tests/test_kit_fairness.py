"""First come, first served: the admission gate, and the pool's acquirers on a real PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from kit_support import kit_settings

from fleetkit.db import KitPool, eager_task, open_pool, warm
from fleetkit.gate import AdmissionGate


async def test_the_gate_admits_up_to_its_limit_then_in_arrival_order() -> None:
    gate = AdmissionGate(2)
    order: list[int] = []

    async def visitor(n: int, hold: asyncio.Event) -> None:
        await gate.enter()
        order.append(n)
        await hold.wait()
        gate.leave()

    holds = [asyncio.Event() for _ in range(6)]
    tasks = [asyncio.create_task(visitor(n, holds[n])) for n in range(6)]
    await asyncio.sleep(0)
    assert order == [0, 1]
    assert gate.inside == 2
    assert len(gate.waiters) == 4
    for n in range(6):
        holds[n].set()
        await asyncio.sleep(0.01)
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4, 5]
    assert gate.inside == 0


async def test_a_newcomer_does_not_take_a_place_released_to_a_waiter() -> None:
    gate = AdmissionGate(1)
    await gate.enter()
    waiter = asyncio.create_task(gate.enter())
    await asyncio.sleep(0)
    gate.leave()  # handed to the waiter, which has not run yet
    newcomer = asyncio.create_task(gate.enter())
    await asyncio.sleep(0)
    assert waiter.done()
    assert not newcomer.done()
    gate.leave()
    await newcomer
    gate.leave()
    assert gate.inside == 0


async def test_a_waiter_cancelled_after_being_handed_a_place_passes_it_on() -> None:
    gate = AdmissionGate(1)
    await gate.enter()
    first = asyncio.create_task(gate.enter())
    second = asyncio.create_task(gate.enter())
    await asyncio.sleep(0)
    gate.leave()  # first is handed the place ...
    first.cancel()  # ... and cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, 1)
    assert gate.inside == 1
    gate.leave()
    assert gate.inside == 0


@pytest.fixture
async def small_pool(database_url: str) -> KitPool:
    pool = await open_pool(kit_settings(database_url, db_pool_max_size=2, db_acquire_timeout_s=5.0))
    yield pool  # type: ignore[misc]
    await pool.close()


async def test_pool_acquirers_are_served_in_arrival_order_under_contention(small_pool: KitPool) -> None:
    """32 workers, 2 connections: every acquire is served in the order it was asked for.

    asyncpg's own pool fails this (30 to 50 inversions in a run, some acquirers served 29
    places late: a waiter woken by a release loses the connection to a newcomer and goes back
    to the end of the line); that is what made the benchmark's p99 six times its p50.
    """
    await warm(small_pool, 2, 5.0)  # no connection is being opened during the run
    tickets = itertools.count()
    served: list[int] = []

    async def worker() -> None:
        for _ in range(20):
            ticket = next(tickets)
            async with small_pool.acquire() as conn:
                served.append(ticket)
                await conn.fetchval("SELECT 1")

    await asyncio.gather(*(worker() for _ in range(32)))
    assert len(served) == 640
    assert served == sorted(served)


async def test_an_acquire_that_times_out_in_line_gives_no_connection_and_keeps_the_count(
    small_pool: KitPool,
) -> None:
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
    assert small_pool._line.inside == 0


async def test_a_foreign_connection_is_refused_without_freeing_a_place(small_pool: KitPool, database_url: str) -> None:
    held = await small_pool.acquire()
    other = await asyncpg.connect(database_url)
    try:
        with pytest.raises(asyncpg.InterfaceError):
            await small_pool.release(other)
        assert small_pool._line.inside == 1
    finally:
        await other.close()
        await small_pool.release(held)
    assert small_pool._line.inside == 0


async def test_an_acquire_that_has_to_open_a_connection_keeps_the_deadline_with_a_free_place() -> None:
    """A free place in line means no timer of the kit's own: the connect timeout is the deadline.

    The "database" accepts TCP connections and never answers (a hung server, not a refused
    port): opening a connection would wait forever without a deadline.
    """
    accepted: list[asyncio.StreamWriter] = []

    async def silent(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pool = await open_pool(
        kit_settings(f"postgresql://kit@127.0.0.1:{port}/kit", db_pool_max_size=2, db_acquire_timeout_s=0.3)
    )
    try:
        assert pool._line.try_enter()  # the fast path is what is being tested: a free place
        pool._line.leave()
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(TimeoutError):
            await pool.acquire()
        assert 0.25 <= loop.time() - started < 2.0
        assert accepted  # it did reach the server and wait on it
        assert pool._line.inside == 0
    finally:
        pool.terminate()
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_a_release_with_nothing_to_wait_for_finishes_without_the_event_loop(small_pool: KitPool) -> None:
    """The common release never suspends: asyncpg's shielded task runs eagerly and is done at once."""
    conn = await small_pool.acquire()
    await conn.fetchval("SELECT 1")
    releasing = small_pool.release(conn)
    with pytest.raises(StopIteration):
        releasing.send(None)  # one step: finished, not suspended on the loop
    assert small_pool._line.inside == 0
    again = await small_pool.acquire(timeout=1)
    assert await again.fetchval("SELECT 2") == 2
    await small_pool.release(again)


async def test_the_loop_keeps_its_own_task_factory_across_releases(small_pool: KitPool) -> None:
    loop = asyncio.get_running_loop()
    made: list[object] = []

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        made.append(coro)
        return asyncio.Task(coro, loop=loop, **kwargs)

    loop.set_task_factory(factory)
    try:
        conn = await small_pool.acquire()
        await small_pool.release(conn)
        with pytest.raises(asyncpg.InterfaceError):
            await small_pool.release(object())  # refused inside asyncpg's release
        assert loop.get_task_factory() is factory
        await asyncio.create_task(asyncio.sleep(0))
        assert len(made) == 1  # only the task made after the releases, by the loop's own factory
    finally:
        loop.set_task_factory(None)


async def test_a_release_that_must_roll_back_waits_and_returns_the_connection(small_pool: KitPool) -> None:
    conn = await small_pool.acquire()
    transaction = conn.transaction()
    await transaction.start()
    await conn.execute("CREATE TEMPORARY TABLE left_open (n int)")
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda *_: None)  # asyncpg reports the abandoned transaction there
    try:
        await small_pool.release(conn)
    finally:
        loop.set_exception_handler(None)
    assert small_pool._line.inside == 0
    again = await small_pool.acquire(timeout=1)
    assert await again.fetchval("SELECT count(*) FROM pg_tables WHERE tablename = 'left_open'") == 0
    assert not again.is_in_transaction()
    await small_pool.release(again)


async def test_a_caller_cancelled_during_a_waiting_release_keeps_its_place_until_the_connection_is_back(
    small_pool: KitPool,
) -> None:
    """Cancelling the releasing caller must not free a place in line while asyncpg is still busy
    returning the connection: past the line an acquirer would find asyncpg's queue empty."""
    first = await small_pool.acquire()
    second = await small_pool.acquire()
    transaction = first.transaction()
    await transaction.start()
    await first.execute("SELECT pg_sleep(0)")
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda *_: None)
    try:
        releasing = asyncio.create_task(small_pool.release(first))
        await asyncio.sleep(0)  # the release has sent its ROLLBACK and waits for the answer
        releasing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await releasing
        assert small_pool._line.inside == 2  # the connection is not back yet
        third = await small_pool.acquire(timeout=2)  # served once the ROLLBACK is done
        assert small_pool._line.inside == 2
        assert await third.fetchval("SELECT 3") == 3
    finally:
        loop.set_exception_handler(None)
    await small_pool.release(third)
    await small_pool.release(second)
    assert small_pool._line.inside == 0


async def test_the_release_factory_takes_the_keywords_uvloop_passes() -> None:
    """uvloop calls a task factory as ``factory(loop, coro, context=..., eager_start=...)``;
    ``asyncio.eager_task_factory`` refuses ``eager_start`` (a TypeError on every release)."""
    ran: list[str] = []

    async def quick() -> str:
        ran.append("ran")
        return "done"

    loop = asyncio.get_running_loop()
    task = eager_task(loop, quick(), context=None, eager_start=None)
    assert task.done()  # ran to the end inside the factory: eager whatever the caller asked
    assert task.result() == "done"
    assert ran == ["ran"]
    refused = quick()
    with pytest.raises(TypeError):
        asyncio.eager_task_factory(loop, refused, context=None, eager_start=None)  # type: ignore[call-arg]
    refused.close()


async def test_a_release_that_closes_its_connection_is_bounded_when_the_server_stops_answering(
    database_url: str,
) -> None:
    """A release carries no timer of its own; closing an expired connection still ends within
    ``command_timeout`` when the server never acknowledges the close (a frozen network path)."""
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
    pool = await open_pool(kit_settings(through_proxy, db_pool_max_size=2, db_command_timeout_s=0.5))
    try:
        conn = await pool.acquire()
        assert await conn.fetchval("SELECT 1") == 1
        await pool.expire_connections()  # this connection is closed instead of kept on release
        frozen.set()
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(TimeoutError):
            await pool.release(conn)
        assert loop.time() - started < 2.0
        assert pool._line.inside == 0
        frozen.clear()
        again = await pool.acquire(timeout=2)  # a fresh connection through the thawed path
        assert await again.fetchval("SELECT 2") == 2
        await pool.release(again)
    finally:
        pool.terminate()
        for task in list(pumps):
            task.cancel()
        proxy.close()
        await proxy.wait_closed()
