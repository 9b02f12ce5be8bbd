"""An ordinary start and an overload leave honest logs: no warning or error for what is expected."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from kit_support import MIGRATIONS, kit_settings, record_logs, serving, serving_concurrently
from litestar import Litestar, get
from litestar.datastructures import State
from test_kit_auth import JwksServer, jwk

from fleetkit import jwks, middleware, shedding
from fleetkit.app import Slice, create_service_app
from fleetkit.auth import StaticKeySource
from fleetkit.faults import CapacityExhausted
from fleetkit.jwks import JwksKeySource
from fleetkit.policy import PUBLIC
from fleetkit.runtime import Runtime


def _events(capture) -> list[tuple[str, str]]:
    return [(entry["log_level"], entry["event"]) for entry in capture.entries]


async def test_waiting_for_identity_is_one_info_line_and_warnings_come_only_once_keys_were_held(
    monkeypatch, jwks_server, signing_key
):
    capture = record_logs(monkeypatch, jwks)
    url = jwks_server.url
    await jwks_server.stop()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2, connect=1)) as http:
        keys = JwksKeySource(url, http, min_interval_s=0, unknown_kid_ttl_s=5)
        for _ in range(3):
            assert await keys.refresh() is False
        assert _events(capture) == [("info", "jwks_waiting_for_identity")]
        jwks_server.keys = [jwk(signing_key)]
        await jwks_server.start()
        assert await keys.refresh() is True
        assert _events(capture)[1:] == [("info", "jwks_loaded")]
        jwks_server.status = 503
        assert await keys.refresh() is False
    assert _events(capture)[2:] == [("warning", "jwks_refresh_failed")]


async def test_a_probe_answering_503_is_not_logged_as_an_error(monkeypatch, make_app, unreachable_database_url):
    capture = record_logs(monkeypatch, middleware)
    async with serving(make_app(unreachable_database_url)) as client:
        assert (await client.get("/readyz")).status_code == 503
        assert _events(capture) == []
        assert (await client.get("/v1/boom")).status_code == 500
    assert _events(capture) == [("error", "request_failed")]


@get("/v1/hold/{name:str}", opt=PUBLIC.opt())
async def hold(name: str, state: State) -> None:
    await state.release.wait()


@get("/v1/elsewhere", opt=PUBLIC.opt())
async def elsewhere(state: State) -> None:
    await state.release.wait()


@get("/v1/full", opt=PUBLIC.opt(), sync_to_thread=False)
def full() -> None:
    raise CapacityExhausted


def _shedding_app(database_url: str, signing_key) -> Litestar:
    def keys(_: Runtime) -> StaticKeySource:
        return StaticKeySource({signing_key.kid: signing_key.public})

    app = create_service_app(
        settings=kit_settings(database_url, db_pool_max_size=1, admission_queue_max=0),
        slices=[Slice(hold, elsewhere, full)],
        migrations=MIGRATIONS,
        description="shedding",
        keys_factory=keys,
    )
    app.state.release = asyncio.Event()
    return app


def _shed_total(metrics: str, route: str) -> float:
    prefix = f'http_requests_shed_total{{route="{route}"}} '
    return sum(float(line.removeprefix(prefix)) for line in metrics.splitlines() if line.startswith(prefix))


async def test_shed_requests_are_counted_per_route_and_logged_at_most_once_per_interval(
    monkeypatch, unreachable_database_url, signing_key
):
    http_log = record_logs(monkeypatch, middleware)
    shed_log = record_logs(monkeypatch, shedding)
    app = _shedding_app(unreachable_database_url, signing_key)
    async with serving_concurrently(app) as client:
        held = [asyncio.create_task(client.get(f"/v1/hold/{name}")) for name in ("a", "b")]
        async with asyncio.timeout(10):
            while app.state.runtime.gate.inside < 2:
                await asyncio.sleep(0.01)
        # The gate is the worker's (2 x pool), whichever routes the requests inside are on.
        assert (await client.get("/v1/hold/c")).status_code == 503
        assert (await client.get("/v1/elsewhere")).status_code == 503
        app.state.release.set()
        assert [r.status_code for r in await asyncio.gather(*held)] == [200, 200]
        assert (await client.get("/v1/full")).status_code == 503
        metrics = (await client.get("/metrics")).text
    assert _shed_total(metrics, "/v1/hold/{name}") == 1
    assert _shed_total(metrics, "/v1/elsewhere") == 1
    assert _shed_total(metrics, "/v1/full") == 1
    assert _events(http_log) == []
    assert _events(shed_log) == [("warning", "requests_shed")]


@pytest.fixture
async def jwks_server() -> AsyncIterator[JwksServer]:
    server = JwksServer()
    await server.start()
    yield server
    await server.stop()
