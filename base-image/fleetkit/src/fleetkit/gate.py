"""A first-come, first-served limit on how many coroutines are inside a section at once."""

from __future__ import annotations

import asyncio
from collections import deque

__all__ = ["AdmissionGate"]


class AdmissionGate:
    """At most ``limit`` coroutines inside at once; the others wait, and enter, in arrival order.

    A freed place is handed to the oldest waiter directly, so nobody is overtaken: unlike
    ``asyncio.Semaphore`` or ``asyncio.Queue``, where a waiter woken by a release can lose the
    place to a newcomer that runs first and go back to the end of the line. Under load that
    overtaking made a few requests wait hundreds of milliseconds (docs/performance.md).

    The kit middleware admits at most 2 x pool size requests into the app with it (Granian's
    ``--backpressure`` caps connections, not requests, and idle keep-alive connections would
    starve the others). ``KitPool`` keeps its own line the same way, handing connections over.

    The fast path (a free place, nobody waiting) is one comparison and one addition.
    """

    __slots__ = ("inside", "limit", "waiters")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.inside = 0
        self.waiters: deque[asyncio.Future[None]] = deque()

    async def enter(self) -> None:
        if self.inside < self.limit and not self.waiters:
            self.inside += 1
            return
        place: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters.append(place)
        try:
            await place  # the place is handed over with ``inside`` already counted
        except asyncio.CancelledError:
            if place.done() and not place.cancelled():
                self.leave()  # handed over just before the cancellation: pass it on
            else:
                self.waiters.remove(place)
            raise

    def leave(self) -> None:
        while self.waiters:
            place = self.waiters.popleft()
            if not place.done():
                place.set_result(None)
                return
        self.inside -= 1
