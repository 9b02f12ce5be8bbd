"""Requests shed at capacity: counted per route, logged at most once per interval.

Shedding (503 with Retry-After when the admission gate or a service's own bounded work is full)
is the kit doing its job under overload, not a fault: a line per shed request would flood the
logs exactly when an operator reads them. ``http_requests_shed_total{route}`` counts every one;
a warning says how many were shed since the last one, at most once per ``interval_s``.
"""

from __future__ import annotations

import time

from prometheus_client import Counter

from fleetkit.logging import get_logger

__all__ = ["SHED_SCOPE_KEY", "Shedding"]

log = get_logger("fleetkit.http")
#: Set in the ASGI scope of a request answered 503 because the worker was at capacity.
SHED_SCOPE_KEY = "fleetkit.shed"


class Shedding:
    __slots__ = ("_counter", "_interval_s", "_next_line", "_unreported")

    def __init__(self, counter: Counter, *, interval_s: float = 10.0) -> None:
        self._counter = counter
        self._interval_s = interval_s
        self._next_line = float("-inf")
        self._unreported = 0

    def shed(self, route: str) -> None:
        self._counter.labels(route).inc()
        self._unreported += 1
        now = time.monotonic()
        if now >= self._next_line:
            log.warning("requests_shed", route=route, shed=self._unreported, interval_s=self._interval_s)
            self._unreported = 0
            self._next_line = now + self._interval_s
