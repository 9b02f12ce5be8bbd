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
