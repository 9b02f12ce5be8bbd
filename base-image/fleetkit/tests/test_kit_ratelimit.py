"""Rate limiting: token-bucket math, bounded memory, and the middleware's 429 answers."""

from __future__ import annotations

import httpx
import pytest
from kit_support import serving

from fleetkit import ratelimit
from fleetkit.ratelimit import TokenBuckets, retry_after


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(ratelimit, "time", fake)
    return fake


def test_a_new_client_gets_the_whole_burst_then_waits_one_token(clock):
    buckets = TokenBuckets(rate=2.0, burst=5, max_keys=100)
    assert [buckets.take("a") for _ in range(5)] == [0.0] * 5
    assert buckets.take("a") == pytest.approx(0.5)


def test_tokens_refill_at_the_rate_and_never_beyond_the_burst(clock):
    buckets = TokenBuckets(rate=2.0, burst=5, max_keys=100)
    for _ in range(5):
        buckets.take("a")
    clock.now += 1.0
    assert [buckets.take("a") for _ in range(2)] == [0.0, 0.0]
    assert buckets.take("a") > 0
    clock.now += 3600
    assert [buckets.take("a") for _ in range(5)] == [0.0] * 5
    assert buckets.take("a") > 0


def test_a_refused_take_reports_the_time_until_the_next_token(clock):
    buckets = TokenBuckets(rate=4.0, burst=1, max_keys=100)
    assert buckets.take("a") == 0.0
    clock.now += 0.125
    assert buckets.take("a") == pytest.approx(0.125)
    clock.now += 0.125
    assert buckets.take("a") == 0.0


def test_clients_have_separate_buckets(clock):
    buckets = TokenBuckets(rate=1.0, burst=1, max_keys=100)
    assert buckets.take("a") == 0.0
    assert buckets.take("a") > 0
    assert buckets.take("b") == 0.0


def test_the_number_of_tracked_clients_stays_bounded(clock):
    buckets = TokenBuckets(rate=1.0, burst=3, max_keys=100)
    for i in range(10_000):
        buckets.take(f"client-{i}")
        clock.now += 0.001
    assert len(buckets._buckets) <= 100


def test_eviction_forgets_refilled_buckets_before_drained_ones(clock):
    buckets = TokenBuckets(rate=1.0, burst=2, max_keys=100)
    for i in range(99):
        buckets.take(f"idle-{i}")
    clock.now += 10
    for _ in range(2):
        buckets.take("drained")
    buckets.take("newcomer")
    assert buckets.take("drained") > 0, "the drained client is still limited after eviction"
    assert len(buckets._buckets) == 2


@pytest.mark.parametrize(("seconds", "header"), [(0.001, "1"), (1.0, "1"), (1.2, "2"), (59.5, "60")])
def test_retry_after_is_whole_seconds_rounded_up_and_at_least_one(seconds, header):
    assert retry_after(seconds) == header


async def test_the_middleware_answers_429_problem_json_with_retry_after(make_app, database_url):
    app = make_app(database_url, rate_limit_rps=0.5, rate_limit_burst=2)
    async with serving(app) as client:
        statuses = [(await client.get("/v1/open")).status_code for _ in range(2)]
        limited = await client.get("/v1/open")
    assert statuses == [200, 200]
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/problem+json"
    assert limited.json()["status"] == 429
    assert limited.headers["retry-after"] == "2"


def _client_at(app, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://kit")


async def test_strict_routes_are_limited_per_client_address(make_app, database_url):
    app = make_app(database_url, rate_limit_strict_rps=0.01, rate_limit_strict_burst=2)
    async with serving(app), _client_at(app, "10.0.0.1") as first, _client_at(app, "10.0.0.2") as second:
        a = [(await first.post("/v1/credentials")).status_code for _ in range(3)]
        b = [(await second.post("/v1/credentials")).status_code for _ in range(3)]
        default = (await first.get("/v1/open")).status_code
    assert a == [201, 201, 429]
    assert b == [201, 201, 429]
    assert default == 200, "the strict limit does not spend the default bucket"


async def test_strict_routes_stay_keyed_by_address_even_with_a_valid_token(make_app, database_url, signing_key):
    app = make_app(database_url, rate_limit_strict_rps=0.01, rate_limit_strict_burst=1)
    headers = {"authorization": f"Bearer {signing_key.mint()}"}
    async with serving(app), _client_at(app, "10.0.0.3") as client:
        first = await client.post("/v1/credentials", headers=headers)
        second = await client.post("/v1/credentials", headers={})
    assert first.status_code == 201
    assert second.status_code == 429


async def test_authenticated_default_routes_are_limited_per_user_across_addresses(make_app, database_url, signing_key):
    app = make_app(database_url, rate_limit_rps=0.01, rate_limit_burst=2)
    headers = {"authorization": f"Bearer {signing_key.mint()}"}
    async with serving(app), _client_at(app, "10.0.1.1") as one, _client_at(app, "10.0.1.2") as two:
        statuses = [
            (await one.get("/v1/items/1", headers=headers)).status_code,
            (await two.get("/v1/items/1", headers=headers)).status_code,
            (await two.get("/v1/items/1", headers=headers)).status_code,
        ]
        anonymous = (await two.get("/v1/open")).status_code
    assert statuses == [200, 200, 429]
    assert anonymous == 200, "an anonymous request from the same address has its own bucket"
