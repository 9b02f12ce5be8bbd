"""Calling another fleet service: per-attempt timeouts, bounded retries, a circuit breaker.

A :class:`Peer` is one remote service as seen by one worker. :meth:`Peer.call` never raises for
a peer's faults: it returns a :class:`PeerResponse` (the peer answered below 500) or a
:class:`PeerUnavailable` naming why not, so callers branch on a value (the standards forbid
exceptions for control flow) and choose between degrading and answering 503.

- Every attempt has its own timeout, and the whole call an overall deadline, whichever is shorter.
- Only calls the caller declares idempotent are retried, with exponential backoff and full jitter
  (``sleep = random(0, min(cap, base * 2**attempt))``), and never past the deadline.
- The breaker counts consecutive failed attempts (connection errors, timeouts, 5xx; a 4xx is the
  caller's fault, not the peer's). At ``failure_threshold`` it opens: calls fail at once without
  touching the network. After ``reset_timeout_s`` it goes half-open and lets exactly one probe
  through; the probe's success closes it, its failure opens it again for another period.

Why a breaker written here rather than a library: the standards name aiobreaker, which has had no
release since 2021. Of the maintained ones, ``purgatory`` signals an open circuit by raising
(exceptions as control flow, which the standards forbid) behind its own async storage layer,
``pybreaker`` is synchronous at heart, ``circuitbreaker`` counts exceptions only. The state
machine below is forty lines, holds no module state (one breaker per peer per worker), reports to
the worker's own registry, and returns values.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Callable, Mapping
from enum import IntEnum

import aiohttp
import msgspec
from prometheus_client import Counter, Gauge

from fleetkit.logging import get_logger
from fleetkit.metrics import Metrics

__all__ = [
    "BreakerState",
    "CircuitBreaker",
    "Peer",
    "PeerMetrics",
    "PeerResponse",
    "PeerUnavailable",
    "RetryPolicy",
]

log = get_logger("fleetkit.peers")


class BreakerState(IntEnum):
    """Gauge values of ``dependency_breaker_state``: higher is worse."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class PeerMetrics:
    """The breaker families, registered once per worker registry and shared by its peers.

    Calls themselves are counted in the kit's ``dependency_requests{dependency,outcome}``, where
    ``outcome="short_circuited"`` counts calls the open breaker refused without any network I/O.
    """

    __slots__ = ("calls", "duration", "state", "transitions")

    def __init__(self, metrics: Metrics) -> None:
        self.calls = metrics.dependency_calls
        self.duration = metrics.dependency_duration
        self.state = Gauge(
            "dependency_breaker_state",
            "Circuit breaker state per dependency: 0 closed, 1 half-open, 2 open.",
            ("dependency",),
            registry=metrics.registry,
        )
        self.transitions = Counter(
            "dependency_breaker_transitions",
            "Circuit breaker state changes per dependency, by the state entered.",
            ("dependency", "state"),
            registry=metrics.registry,
        )


class CircuitBreaker:
    """Closed -> open after N consecutive failures -> half-open after a delay -> one probe."""

    __slots__ = (
        "_clock",
        "_failures",
        "_metrics",
        "_opened_at",
        "_probing",
        "_state",
        "failure_threshold",
        "name",
        "reset_timeout_s",
    )

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int,
        reset_timeout_s: float,
        metrics: PeerMetrics | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout_s = reset_timeout_s
        self._metrics = metrics
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False
        if metrics is not None:
            metrics.state.labels(name).set(BreakerState.CLOSED)

    @property
    def state(self) -> BreakerState:
        if self._state is BreakerState.OPEN and self.retry_after_s() == 0:
            self._enter(BreakerState.HALF_OPEN)
        return self._state

    def retry_after_s(self) -> float:
        """Seconds until an open breaker lets a probe through (0 when it would now)."""
        if self._state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self._opened_at + self.reset_timeout_s - self._clock())

    def allow(self) -> bool:
        """May an attempt go out now? In half-open, only one probe at a time."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._probing:
            self._probing = True
            return True
        return False

    def record_success(self) -> None:
        self._failures = 0
        self._probing = False
        if self._state is not BreakerState.CLOSED:
            self._enter(BreakerState.CLOSED)

    def record_failure(self) -> None:
        self._probing = False
        self._failures += 1
        if self._state is BreakerState.HALF_OPEN or self._failures >= self.failure_threshold:
            self._opened_at = self._clock()
            if self._state is not BreakerState.OPEN:
                self._enter(BreakerState.OPEN)
                log.warning("breaker_opened", dependency=self.name, failures=self._failures)

    def release(self) -> None:
        """An allowed attempt ended with no verdict (cancelled): free the half-open probe slot."""
        self._probing = False

    def _enter(self, state: BreakerState) -> None:
        self._state = state
        if state is BreakerState.CLOSED:
            log.info("breaker_closed", dependency=self.name)
        if self._metrics is not None:
            self._metrics.state.labels(self.name).set(state)
            self._metrics.transitions.labels(self.name, state.name.lower()).inc()


class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True):
    attempts: int = 3
    attempt_timeout_s: float = 1.0
    deadline_s: float = 2.0
    base_backoff_s: float = 0.05
    max_backoff_s: float = 1.0


class PeerResponse(msgspec.Struct, frozen=True):
    status: int
    body: bytes


class PeerUnavailable(msgspec.Struct, frozen=True):
    """The peer could not answer: ``reason`` is the last attempt's outcome."""

    reason: str
    retry_after_s: int = 1


#: Outcome labels: of one attempt, or of a call that made none.
_OK, _CLIENT_ERROR, _SERVER_ERROR, _TIMEOUT = "ok", "client_error", "server_error", "timeout"
_UNREACHABLE, _ERROR, SHORT_CIRCUITED, DEADLINE = "unreachable", "error", "short_circuited", "deadline"


class Peer:
    """One remote service: base URL, shared HTTP session, breaker, retry policy, metrics."""

    __slots__ = ("_http", "_jitter", "_metrics", "_policy", "base_url", "breaker", "name")

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        http: aiohttp.ClientSession,
        breaker: CircuitBreaker,
        policy: RetryPolicy,
        metrics: PeerMetrics,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self._http = http
        self.breaker = breaker
        self._policy = policy
        self._metrics = metrics
        self._jitter = jitter

    async def call(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool,
    ) -> PeerResponse | PeerUnavailable:
        """One logical call: up to ``attempts`` tries if idempotent, within the deadline."""
        policy = self._policy
        loop = asyncio.get_running_loop()
        deadline = loop.time() + policy.deadline_s
        attempts = policy.attempts if idempotent else 1
        reason = DEADLINE
        for attempt in range(attempts):
            remaining = deadline - loop.time()
            if remaining <= 0:
                reason = DEADLINE
                break
            if not self.breaker.allow():
                self._metrics.calls.labels(self.name, SHORT_CIRCUITED).inc()
                return PeerUnavailable(SHORT_CIRCUITED, self._retry_after())
            timeout = min(policy.attempt_timeout_s, remaining)
            answer = await self._attempt(method, path, body, headers, timeout)
            if isinstance(answer, PeerResponse):
                return answer
            reason = answer
            if attempt + 1 < attempts:
                cap = min(policy.max_backoff_s, policy.base_backoff_s * 2**attempt)
                pause = self._jitter() * cap
                if loop.time() + pause >= deadline:
                    break
                await asyncio.sleep(pause)
        return PeerUnavailable(reason, self._retry_after())

    async def _attempt(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str] | None, timeout: float
    ) -> PeerResponse | str:
        """One request; a PeerResponse below 500, else the failure's outcome label."""
        started = time.perf_counter()
        outcome = _ERROR
        answer: PeerResponse | None = None
        try:
            async with self._http.request(
                method,
                f"{self.base_url}{path}",
                data=body,
                headers=dict(headers) if headers else None,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as response:
                payload = await response.read()
            status = response.status
            outcome = _OK if status < 400 else _CLIENT_ERROR if status < 500 else _SERVER_ERROR
            answer = PeerResponse(status, payload) if status < 500 else None
        except TimeoutError:
            outcome = _TIMEOUT
        except aiohttp.ClientConnectionError:
            outcome = _UNREACHABLE
        except aiohttp.ClientError:
            outcome = _ERROR
        finally:
            # Cancelled (no outcome recorded): free a half-open probe slot, count nothing.
            self.breaker.release()
        self._metrics.duration.labels(self.name).observe(time.perf_counter() - started)
        self._metrics.calls.labels(self.name, outcome).inc()
        if answer is None:
            self.breaker.record_failure()
            log.warning("peer_call_failed", dependency=self.name, outcome=outcome, path=path)
            return outcome
        self.breaker.record_success()
        return answer

    def _retry_after(self) -> int:
        return max(1, math.ceil(self.breaker.retry_after_s()))
