"""Argon2id password hashing, kept off the event loop and bounded in memory.

``verify_or_burn`` is used for unknown e-mails too, against a hash of a random password made at
start, so that "no such account" and "wrong password" take the same time and look the same.

Each hash or verification takes ``ARGON2_MEMORY_KIB`` (64 MiB) for as long as it runs, so the
number running at once is what decides whether a worker fits its memory limit: at most
``concurrency`` run at once, a short line waits for a place (at most ``queue_max``, each for at
most ``wait_s``), and the rest is shed with the kit's ``CapacityExhausted`` fault (503 with
Retry-After). The chart refuses to render when the pod's memory limit cannot hold
``IDENTITY_PASSWORD_HASH_CONCURRENCY`` x 64 MiB x workers plus the worker itself
(``memoryBudget``, docs/reliability.md "Memory limit").
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from fleetkit.faults import CapacityExhausted
from fleetkit.gate import AdmissionGate

__all__ = ["ARGON2_MEMORY_KIB", "Passwords"]

#: argon2id's memory cost (RFC 9106's low-memory profile, argon2-cffi's default); the chart's
#: ``memoryBudget.boundedWork`` counts it as 64 MiB per concurrent hash.
ARGON2_MEMORY_KIB = 65_536


class Passwords:
    __slots__ = ("_dummy", "_gate", "_hasher")

    def __init__(self, *, concurrency: int = 1, queue_max: int = 8, wait_s: float = 2.0) -> None:
        # argon2id with RFC 9106 low-memory parameters (t=3, 64 MiB, p=4)
        self._hasher = PasswordHasher(memory_cost=ARGON2_MEMORY_KIB)
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))
        self._gate = AdmissionGate(concurrency, max_waiting=queue_max, wait_s=wait_s)

    async def hash(self, password: str) -> str:
        digest: str = await self._bounded(self._hasher.hash, password)
        return digest

    async def verify_or_burn(self, stored_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; with no stored hash, spend the same time and say False."""
        matched: bool = await self._bounded(self._verify, stored_hash, password)
        return matched

    async def _bounded(self, work: Callable[..., Any], *args: Any) -> Any:
        """Run ``work`` on a thread once a place is free; the place is held until the thread ends.

        A cancelled request (a client gone, a shutdown) cannot stop a thread that is hashing: the
        place is freed when the hash really ends, so the bound holds for the memory, not just for
        the requests.
        """
        if not await self._gate.enter():
            msg = "every password hashing place is taken; retry later"
            raise CapacityExhausted(msg)
        running = asyncio.ensure_future(asyncio.to_thread(work, *args))
        running.add_done_callback(self._finished)
        return await asyncio.shield(running)

    def _finished(self, running: asyncio.Future[Any]) -> None:
        self._gate.leave()
        if not running.cancelled():
            running.exception()  # retrieved here too, for when its request is gone

    def _verify(self, stored_hash: str | None, password: str) -> bool:
        try:
            ok = self._hasher.verify(stored_hash or self._dummy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return ok and stored_hash is not None
