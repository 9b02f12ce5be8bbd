"""First come, first served: the admission gate (the pool's line is tested in test_kit_pool.py)."""

from __future__ import annotations

import asyncio

import pytest

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


async def test_a_full_line_sheds_a_newcomer_at_once_and_counts_nothing() -> None:
    gate = AdmissionGate(1, max_waiting=2)
    assert await gate.enter() is True
    waiting = [asyncio.create_task(gate.enter()) for _ in range(2)]
    await asyncio.sleep(0)
    assert await asyncio.wait_for(gate.enter(), 0.5) is False  # no wait: the line is full
    assert (gate.inside, len(gate.waiters)) == (1, 2)
    gate.leave()
    assert await waiting[0] is True
    gate.leave()
    assert await waiting[1] is True
    gate.leave()
    assert (gate.inside, len(gate.waiters)) == (0, 0)


async def test_a_waiter_past_the_deadline_is_shed_and_the_ones_behind_it_keep_their_own() -> None:
    gate = AdmissionGate(1, wait_s=0.2)
    assert await gate.enter() is True
    loop = asyncio.get_running_loop()
    started = loop.time()
    first = asyncio.create_task(gate.enter())
    await asyncio.sleep(0.1)
    second = asyncio.create_task(gate.enter())
    assert await first is False
    shed_after = loop.time() - started
    assert 0.2 <= shed_after < 1.0
    assert not second.done()  # its own deadline is 0.1 s later
    gate.leave()  # the place goes to the second waiter, before its deadline
    assert await second is True
    assert gate.inside == 1
    gate.leave()
    assert (gate.inside, len(gate.waiters)) == (0, 0)


async def test_without_bounds_the_line_waits_as_long_as_it_takes() -> None:
    gate = AdmissionGate(1)
    assert await gate.enter() is True
    waiters = [asyncio.create_task(gate.enter()) for _ in range(50)]
    await asyncio.sleep(0.05)
    assert not any(w.done() for w in waiters)
    for w in waiters:
        gate.leave()
        assert await w is True
    gate.leave()
    assert gate.inside == 0
