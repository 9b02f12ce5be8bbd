"""A first-come, first-served limit on how many coroutines are inside a section at once."""

from __future__ import annotations

import asyncio
import math
from collections import deque

__all__ = ["AdmissionGate"]


class AdmissionGate:
    """At most ``limit`` coroutines inside at once; the others wait, and enter, in arrival order.

    A freed place is handed to the oldest waiter directly, so nobody is overtaken: unlike
    ``asyncio.Semaphore`` or ``asyncio.Queue``, where a waiter woken by a release can lose the
    place to a newcomer that runs first and go back to the end of the line. Under load that
    overtaking made a few requests wait far longer than the rest (docs/performance.md).

    The line is bounded: at most ``max_waiting`` wait, each for at most ``wait_s`` seconds.
    ``enter()`` says ``False`` at once when the line is full and ``False`` at the deadline; the
    caller sheds the work (503 with Retry-After), which is an expected outcome under overload,
    not a fault. A waiter that would be served after its deadline is of no use to a client that
    has given up, and an unbounded line only turns a slow dependency into a pile of requests
    that all end late (docs/reliability.md, "Load shedding").

    The kit middleware admits at most 2 x pool size requests into the app with it (Granian's
    ``--backpressure`` caps connections, not requests, and idle keep-alive connections would
    starve the others); identity bounds its concurrent password hashes with another one.
    ``KitPool`` keeps its own line the same way, handing connections over.

    The fast path (a free place, nobody waiting) is one comparison and one addition. Deadlines
    are in arrival order (one ``wait_s`` for all), so one timer, armed for the oldest waiter,
    serves the whole line.
    """

    __slots__ = ("_expiry", "inside", "limit", "max_waiting", "wait_s", "waiters")

    def __init__(self, limit: int, *, max_waiting: int | None = None, wait_s: float | None = None) -> None:
        self.limit = limit
        self.max_waiting = math.inf if max_waiting is None else max_waiting
        self.wait_s = wait_s
        self.inside = 0
        # Waiters, oldest first, with their deadline; a place is handed over as True, a shed as False.
        self.waiters: deque[tuple[asyncio.Future[bool], float]] = deque()
        self._expiry: asyncio.TimerHandle | None = None

    async def enter(self) -> bool:
        """True once inside (``leave()`` when done); False when shed: the line was full or too slow."""
        if self.inside < self.limit and not self.waiters:
            self.inside += 1
            return True
        if len(self.waiters) >= self.max_waiting:
            return False
        loop = asyncio.get_running_loop()
        place: asyncio.Future[bool] = loop.create_future()
        deadline = math.inf if self.wait_s is None else loop.time() + self.wait_s
        self.waiters.append((place, deadline))
        if self._expiry is None and deadline < math.inf:
            self._expiry = loop.call_at(deadline, self._expire)
        try:
            return await place  # a place is handed over with ``inside`` already counted
        except asyncio.CancelledError:
            if place.done() and not place.cancelled() and place.result():
                self.leave()  # handed over just before the cancellation: pass it on
            else:
                self.waiters = deque(waiter for waiter in self.waiters if waiter[0] is not place)
            raise

    def leave(self) -> None:
        while self.waiters:
            place, _ = self.waiters.popleft()
            if not place.done():
                place.set_result(True)
                return
        self.inside -= 1

    def _expire(self) -> None:
        """Shed the waiters whose deadline has passed (the oldest ones); arm the timer for the next."""
        self._expiry = None
        loop = asyncio.get_running_loop()
        now = loop.time()
        waiters = self.waiters
        while waiters and (waiters[0][0].done() or waiters[0][1] <= now):
            place, _ = waiters.popleft()
            if not place.done():
                place.set_result(False)
        if waiters and waiters[0][1] < math.inf:
            self._expiry = loop.call_at(waiters[0][1], self._expire)
