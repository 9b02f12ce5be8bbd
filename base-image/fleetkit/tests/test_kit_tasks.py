"""Background tasks: a bounded set, cancelled and awaited on close."""

from __future__ import annotations

import asyncio
import inspect

from fleetkit.tasks import BackgroundTasks


async def test_spawn_refuses_beyond_the_limit_and_closes_the_refused_coroutine():
    tasks = BackgroundTasks(2)
    release = asyncio.Event()
    assert tasks.spawn(release.wait(), name="one") is True
    assert tasks.spawn(release.wait(), name="two") is True
    refused = release.wait()
    assert tasks.spawn(refused, name="three") is False
    assert inspect.getcoroutinestate(refused) == inspect.CORO_CLOSED
    assert len(tasks) == 2
    release.set()
    await asyncio.sleep(0.01)
    assert len(tasks) == 0
    assert tasks.spawn(release.wait(), name="four") is True
    await tasks.close(1.0)


async def test_close_cancels_running_tasks_and_waits_for_them():
    tasks = BackgroundTasks(10)
    cleaned: list[str] = []

    async def worker(name: str) -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            cleaned.append(name)

    for name in ("a", "b", "c"):
        tasks.spawn(worker(name), name=name)
    await asyncio.sleep(0)
    await tasks.close(1.0)
    assert sorted(cleaned) == ["a", "b", "c"]
    await asyncio.sleep(0)
    assert len(tasks) == 0


async def test_close_gives_up_after_its_budget_on_a_task_that_ignores_cancellation():
    tasks = BackgroundTasks(10)
    stop = asyncio.Event()

    async def stubborn() -> None:
        while not stop.is_set():
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                continue

    tasks.spawn(stubborn(), name="stubborn")
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await tasks.close(0.2)
    assert 0.15 <= loop.time() - started < 2.0
    stop.set()
    for task in asyncio.all_tasks():
        if task.get_name() == "stubborn":
            task.cancel()
            await asyncio.wait([task], timeout=1)


async def test_a_failing_task_frees_its_slot():
    tasks = BackgroundTasks(1)

    async def fail() -> None:
        msg = "boom"
        raise ValueError(msg)

    assert tasks.spawn(fail(), name="fail") is True
    await asyncio.sleep(0.01)
    assert len(tasks) == 0
    assert tasks.spawn(asyncio.sleep(0), name="next") is True
    await tasks.close(1.0)
