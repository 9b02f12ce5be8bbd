"""fleetkit.peers: the breaker state machine, and Peer's timeouts, retries, deadline and breaker
over real HTTP against a local aiohttp.web server.

The server is a generic peer, not avatars: these are the kit's fault shapes (5xx, hanging
answers, a closed port, 4xx), which no real service produces on demand.
"""

from __future__ import annotations

import asyncio
import socket
import time

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from fleetkit.metrics import Metrics
from fleetkit.peers import BreakerState, CircuitBreaker, Peer, PeerMetrics, PeerResponse, PeerUnavailable, RetryPolicy


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Flaky:
    """Answers from a script: each request pops the next status (the last one repeats)."""

    def __init__(self) -> None:
        self.script = [200]
        self.hits = 0
        self.hang_s = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        self.hits += 1
        if self.hang_s:
            await asyncio.sleep(self.hang_s)
        status = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        return web.json_response({"hit": self.hits}, status=status)


@pytest.fixture
async def flaky():
    peer_app = Flaky()
    app = web.Application()
    app.router.add_route("*", "/thing", peer_app.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    peer_app.url = str(server.make_url("")).rstrip("/")
    yield peer_app
    await server.close()


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as http:
        yield http


def make_peer(url, session, metrics, *, failures=3, reset=30.0, policy=None, clock=None):
    peer_metrics = PeerMetrics(metrics)
    breaker = CircuitBreaker(
        "thing", failure_threshold=failures, reset_timeout_s=reset, metrics=peer_metrics, clock=clock or time.monotonic
    )
    policy = policy or RetryPolicy(attempts=3, attempt_timeout_s=0.3, deadline_s=2.0, base_backoff_s=0.01)
    return Peer("thing", url, http=session, breaker=breaker, policy=policy, metrics=peer_metrics)


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


# --- the breaker alone ------------------------------------------------------------------------


def test_the_breaker_opens_after_n_consecutive_failures_and_refuses_calls():
    clock = Clock()
    breaker = CircuitBreaker("x", failure_threshold=3, reset_timeout_s=10, clock=clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()
    assert breaker.retry_after_s() == 10


def test_a_success_resets_the_consecutive_failure_count():
    breaker = CircuitBreaker("x", failure_threshold=2, reset_timeout_s=10, clock=Clock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED


def test_after_the_reset_delay_one_probe_goes_through_and_its_success_closes_the_breaker():
    clock = Clock()
    breaker = CircuitBreaker("x", failure_threshold=1, reset_timeout_s=10, clock=clock)
    breaker.record_failure()
    clock.now += 9.9
    assert not breaker.allow()
    clock.now += 0.1
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow()
    assert not breaker.allow(), "only one probe at a time"
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.allow()


def test_a_failed_probe_opens_the_breaker_for_another_full_period():
    clock = Clock()
    breaker = CircuitBreaker("x", failure_threshold=5, reset_timeout_s=10, clock=clock)
    for _ in range(5):
        breaker.record_failure()
    clock.now += 10
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert breaker.retry_after_s() == 10


def test_a_cancelled_probe_frees_the_half_open_slot():
    clock = Clock()
    breaker = CircuitBreaker("x", failure_threshold=1, reset_timeout_s=1, clock=clock)
    breaker.record_failure()
    clock.now += 1
    assert breaker.allow()
    breaker.release()
    assert breaker.allow()


def test_the_breaker_reports_its_state_and_transitions_as_metrics():
    metrics, clock = Metrics("t"), Clock()
    breaker = CircuitBreaker("x", failure_threshold=1, reset_timeout_s=1, metrics=PeerMetrics(metrics), clock=clock)
    assert sample(metrics, "dependency_breaker_state", dependency="x") == 0
    breaker.record_failure()
    assert sample(metrics, "dependency_breaker_state", dependency="x") == 2
    clock.now += 1
    assert breaker.state is BreakerState.HALF_OPEN
    assert sample(metrics, "dependency_breaker_state", dependency="x") == 1
    breaker.record_success()
    assert sample(metrics, "dependency_breaker_state", dependency="x") == 0
    assert sample(metrics, "dependency_breaker_transitions_total", dependency="x", state="open") == 1


# --- a Peer over real HTTP --------------------------------------------------------------------


async def test_an_idempotent_call_is_retried_through_5xx_until_it_succeeds(flaky, session):
    flaky.script = [503, 500, 200]
    metrics = Metrics("t")
    answer = await make_peer(flaky.url, session, metrics).call("GET", "/thing", idempotent=True)
    assert isinstance(answer, PeerResponse)
    assert answer.status == 200
    assert flaky.hits == 3
    assert sample(metrics, "dependency_requests_total", dependency="thing", outcome="server_error") == 2
    assert sample(metrics, "dependency_requests_total", dependency="thing", outcome="ok") == 1


async def test_a_non_idempotent_call_is_never_retried(flaky, session):
    flaky.script = [500, 200]
    answer = await make_peer(flaky.url, session, Metrics("t")).call("POST", "/thing", body=b"{}", idempotent=False)
    assert answer == PeerUnavailable("server_error", 1)
    assert flaky.hits == 1


async def test_a_4xx_is_returned_as_is_without_retry_and_is_not_a_breaker_failure(flaky, session):
    flaky.script = [404]
    peer = make_peer(flaky.url, session, Metrics("t"), failures=1)
    answer = await peer.call("GET", "/thing", idempotent=True)
    assert isinstance(answer, PeerResponse)
    assert answer.status == 404
    assert flaky.hits == 1
    assert peer.breaker.state is BreakerState.CLOSED


async def test_each_attempt_times_out_and_the_whole_call_keeps_its_deadline(flaky, session):
    flaky.hang_s = 5.0
    policy = RetryPolicy(attempts=10, attempt_timeout_s=0.2, deadline_s=0.5, base_backoff_s=0.01)
    metrics = Metrics("t")
    peer = make_peer(flaky.url, session, metrics, failures=100, policy=policy)
    started = time.monotonic()
    answer = await peer.call("GET", "/thing", idempotent=True)
    elapsed = time.monotonic() - started
    assert isinstance(answer, PeerUnavailable)
    assert answer.reason in {"timeout", "deadline"}
    assert elapsed < 0.8, f"the 0.5 s deadline held (took {elapsed:.2f} s)"
    assert 2 <= flaky.hits <= 3
    assert sample(metrics, "dependency_requests_total", dependency="thing", outcome="timeout") >= 2


async def test_a_closed_port_is_unreachable(session):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    peer = make_peer(f"http://127.0.0.1:{port}", session, Metrics("t"))
    answer = await peer.call("GET", "/thing", idempotent=True)
    assert isinstance(answer, PeerUnavailable)
    assert answer.reason == "unreachable"
    assert answer.retry_after_s == 30, "the third failure opened the breaker: retry after its reset delay"


async def test_once_open_the_breaker_answers_at_once_and_no_request_reaches_the_peer(flaky, session):
    flaky.script = [500]
    metrics, clock = Metrics("t"), Clock()
    policy = RetryPolicy(attempts=1, attempt_timeout_s=0.3, deadline_s=1.0)
    peer = make_peer(flaky.url, session, metrics, failures=3, reset=10, policy=policy, clock=clock)
    for _ in range(3):
        assert isinstance(await peer.call("GET", "/thing", idempotent=True), PeerUnavailable)
    assert flaky.hits == 3
    assert peer.breaker.state is BreakerState.OPEN
    for _ in range(5):
        answer = await peer.call("GET", "/thing", idempotent=True)
        assert answer == PeerUnavailable("short_circuited", 10)
    assert flaky.hits == 3, "no call reached the peer while the breaker was open"
    assert sample(metrics, "dependency_requests_total", dependency="thing", outcome="short_circuited") == 5
    flaky.script = [200]
    clock.now += 10
    assert isinstance(await peer.call("GET", "/thing", idempotent=True), PeerResponse)
    assert peer.breaker.state is BreakerState.CLOSED
    assert flaky.hits == 4


async def test_retries_stop_as_soon_as_the_breaker_opens(flaky, session):
    flaky.script = [500]
    policy = RetryPolicy(attempts=5, attempt_timeout_s=0.3, deadline_s=2.0, base_backoff_s=0.001)
    peer = make_peer(flaky.url, session, Metrics("t"), failures=2, policy=policy)
    answer = await peer.call("GET", "/thing", idempotent=True)
    assert answer.reason == "short_circuited"
    assert flaky.hits == 2


async def test_backoff_is_full_jitter_capped_exponential(flaky, session, monkeypatch):
    flaky.script = [500, 500, 500, 200]
    pauses = []
    real_sleep = asyncio.sleep

    async def record(delay, *args):
        pauses.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", record)
    policy = RetryPolicy(attempts=4, attempt_timeout_s=0.3, deadline_s=5.0, base_backoff_s=0.1, max_backoff_s=0.3)
    peer_metrics = PeerMetrics(Metrics("t"))
    breaker = CircuitBreaker("thing", failure_threshold=10, reset_timeout_s=1, metrics=peer_metrics)
    peer = Peer(
        "thing", flaky.url, http=session, breaker=breaker, policy=policy, metrics=peer_metrics, jitter=lambda: 1.0
    )
    answer = await peer.call("GET", "/thing", idempotent=True)
    assert isinstance(answer, PeerResponse)
    assert pauses == pytest.approx([0.1, 0.2, 0.3]), "min(cap, base * 2**n) times a jitter in [0, 1)"
