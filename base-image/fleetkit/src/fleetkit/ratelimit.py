"""Per-client token buckets, owned by the worker (no module state), O(1) per request.

Limits are per worker process: with one Granian worker per pod (the chart's default) a client's
effective limit across the fleet is the per-pod limit times the replicas it is spread over.
"""

from __future__ import annotations

import math
import time
from collections.abc import Hashable

__all__ = ["TokenBuckets"]


class TokenBuckets:
    """A token bucket per key; the least recently created buckets are forgotten first."""

    __slots__ = ("_buckets", "_burst", "_max_keys", "_rate")

    def __init__(self, *, rate: float, burst: int, max_keys: int) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._max_keys = max_keys
        self._buckets: dict[Hashable, list[float]] = {}

    def take(self, key: Hashable) -> float:
        """Take one token for ``key``; 0.0 when allowed, else seconds until a token is free.

        Keys are whatever identifies a client: the kit passes the caller's user id (a UUID, no
        string formatting per request) or a string naming an anonymous client's address.
        """
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._evict(now)
            self._buckets[key] = [self._burst - 1.0, now]
            return 0.0
        tokens = min(self._burst, bucket[0] + (now - bucket[1]) * self._rate)
        bucket[1] = now
        if tokens >= 1.0:
            bucket[0] = tokens - 1.0
            return 0.0
        bucket[0] = tokens
        return (1.0 - tokens) / self._rate

    def _evict(self, now: float) -> None:
        """Drop buckets that have refilled (they carry no state), else the oldest tenth."""
        full = [k for k, (tokens, at) in self._buckets.items() if tokens + (now - at) * self._rate >= self._burst]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= self._max_keys:
            for key in list(self._buckets)[: max(1, self._max_keys // 10)]:
                del self._buckets[key]


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
