"""Password hashing: off the loop, and bounded so concurrent hashes fit the worker's memory."""

from __future__ import annotations

import asyncio

import pytest

from fleetkit.faults import CapacityExhausted
from identity.passwords import ARGON2_MEMORY_KIB, Passwords


async def test_hashes_beyond_the_running_ones_and_the_line_are_shed_at_once():
    passwords = Passwords(concurrency=1, queue_max=2, wait_s=60)
    calls = [asyncio.ensure_future(passwords.hash(f"password number {n}")) for n in range(6)]
    await asyncio.sleep(0.01)
    shed = [c for c in calls if c.done()]
    assert len(shed) == 3, "one hashing, two in line, the rest shed without waiting"
    assert all(isinstance(c.exception(), CapacityExhausted) for c in shed)
    assert passwords._gate.inside == 1
    results = await asyncio.gather(*calls[:3])
    assert all(r.startswith("$argon2id$") for r in results)
    assert passwords._gate.inside == 0


async def test_the_line_waits_at_most_its_deadline():
    passwords = Passwords(concurrency=1, queue_max=4, wait_s=0.01)
    first = asyncio.ensure_future(passwords.verify_or_burn(None, "a password"))
    second = asyncio.ensure_future(passwords.verify_or_burn(None, "a password"))
    with pytest.raises(CapacityExhausted):
        await second  # an argon2id hash of 64 MiB takes longer than 10 ms
    assert await first is False


async def test_a_cancelled_request_keeps_its_place_until_its_hash_really_ends():
    """The thread cannot be stopped, so neither is the memory it holds: the place stays taken."""
    passwords = Passwords(concurrency=1, queue_max=0, wait_s=1)
    call = asyncio.ensure_future(passwords.hash("a password to hash"))
    await asyncio.sleep(0.001)
    assert passwords._gate.inside == 1
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert passwords._gate.inside == 1, "the hash still runs on its thread"
    with pytest.raises(CapacityExhausted):
        await passwords.hash("another password")
    for _ in range(600):
        if passwords._gate.inside == 0:
            break
        await asyncio.sleep(0.05)
    assert passwords._gate.inside == 0
    assert (await passwords.hash("another password")).startswith("$argon2id$")


def test_the_memory_cost_the_chart_counts_is_the_one_hashes_are_made_with():
    passwords = Passwords()
    assert passwords._hasher.memory_cost == ARGON2_MEMORY_KIB
    assert f"m={ARGON2_MEMORY_KIB}," in passwords._dummy
