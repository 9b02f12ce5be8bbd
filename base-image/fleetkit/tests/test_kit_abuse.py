"""Abuse at the kit's door: junk tokens, failed authentication, unknown routes, header tricks,
WebSockets and forwarded addresses, through the real middleware and app factory."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from kit_support import MIGRATIONS, TEST_SLICE, kit_settings, serving
from litestar import WebSocket, websocket
from litestar.config.app import AppConfig
from litestar.exceptions import WebSocketDisconnect
from litestar.plugins import InitPluginProtocol
from litestar.testing import AsyncTestClient

from fleetkit.app import create_service_app
from fleetkit.auth import StaticKeySource
from fleetkit.runtime import Runtime


def _client_at(app, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://kit")


def _sample(metrics: str, name: str, **labels: str) -> float:
    """One sample's value from a Prometheus text page (0 when the series is absent)."""
    for line in metrics.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def _junk(i: int) -> str:
    return f"eyJhbGciOiJFZERTQSIsImtpZCI6Imp1bmsifQ.eyJzdWIiOiJ4In0.{i:08d}"


async def test_junk_tokens_are_rate_limited_before_any_signature_work(make_app, database_url):
    app = make_app(database_url, rate_limit_rps=0.01, rate_limit_burst=3)
    async with serving(app) as client, _client_at(app, "10.2.0.1") as flood:
        statuses = [
            (await flood.get("/v1/items/1", headers={"authorization": f"Bearer {_junk(i)}"})).status_code
            for i in range(10)
        ]
        metrics = (await client.get("/metrics")).text
    assert statuses == [401] * 3 + [429] * 7
    assert _sample(metrics, "auth_token_verifications_total") == 3, "only the admitted three were verified"
    assert _sample(metrics, "rate_limit_rejections_total", policy="default") == 7


async def test_junk_tokens_on_a_public_route_are_limited_by_address_too(make_app, database_url):
    app = make_app(database_url, rate_limit_rps=0.01, rate_limit_burst=2)
    async with serving(app), _client_at(app, "10.2.0.2") as flood:
        statuses = [
            (await flood.get("/v1/open", headers={"authorization": f"Bearer {_junk(i)}"})).status_code for i in range(4)
        ]
    assert statuses == [200, 200, 429, 429]


async def test_requests_without_a_token_count_against_the_address(make_app, database_url):
    """Failed authentication is not free: 401s spend the caller's budget like anything else."""
    app = make_app(database_url, rate_limit_rps=0.01, rate_limit_burst=3)
    async with serving(app), _client_at(app, "10.2.0.3") as flood, _client_at(app, "10.2.0.4") as other:
        statuses = [(await flood.get("/v1/items/1")).status_code for _ in range(5)]
        elsewhere = (await other.get("/v1/items/1")).status_code
    assert statuses == [401, 401, 401, 429, 429]
    assert elsewhere == 401, "another address has its own budget"


async def test_a_valid_token_is_charged_to_its_user_and_the_address_pays_only_for_its_check(
    make_app, database_url, signing_key
):
    app = make_app(database_url, rate_limit_rps=0.01, rate_limit_burst=2)
    token = signing_key.mint()
    async with serving(app), _client_at(app, "10.2.0.5") as one:
        first = await one.get("/v1/items/1", headers={"authorization": f"Bearer {token}"})
        # the address spent one token on the check; one is left for anonymous requests
        anonymous = [(await one.get("/v1/open")).status_code for _ in range(2)]
        second = await one.get("/v1/items/1", headers={"authorization": f"Bearer {token}"})
        third = await one.get("/v1/items/1", headers={"authorization": f"Bearer {token}"})
    assert first.status_code == 200
    assert anonymous == [200, 429]
    assert (second.status_code, third.status_code) == (200, 429), "the user's own bucket: 2 requests"


async def test_unknown_paths_are_counted_limited_and_answered_as_problems(make_app, database_url):
    app = make_app(database_url, rate_limit_rps=0.01, rate_limit_burst=4)
    async with serving(app) as client, _client_at(app, "10.2.0.6") as scanner:
        answers = [await scanner.get(f"/wp-admin/{uuid.uuid4().hex}.php") for _ in range(6)]
        metrics = (await client.get("/metrics")).text
    assert [a.status_code for a in answers] == [404] * 4 + [429] * 2
    for answer in answers:
        assert answer.headers["content-type"] == "application/problem+json"
    assert answers[-1].headers["retry-after"] == "100"
    assert _sample(metrics, "http_requests_total", route="unmatched", method="GET", status_class="4xx") == 6
    assert "wp-admin" not in metrics, "the raw path never becomes a label"
    assert _sample(metrics, "rate_limit_rejections_total", policy="default") == 2


async def test_wrong_methods_and_invented_methods_are_counted_under_a_bounded_label(make_app, database_url):
    app = make_app(database_url, rate_limit_rps=0.01, rate_limit_burst=100)
    async with serving(app) as client, _client_at(app, "10.2.0.7") as scanner:
        wrong = await scanner.delete("/v1/open")
        invented = [await scanner.request(f"X{i}", "/v1/open") for i in range(3)]
        metrics = (await client.get("/metrics")).text
    assert wrong.status_code == 405
    assert wrong.headers["content-type"] == "application/problem+json"
    assert all(a.status_code == 405 for a in invented)
    assert _sample(metrics, "http_requests_total", route="unmatched", method="DELETE", status_class="4xx") == 1
    assert _sample(metrics, "http_requests_total", route="unmatched", method="OTHER", status_class="4xx") == 3
    assert 'method="X1"' not in metrics


async def test_unknown_paths_share_the_address_budget_with_routed_requests(make_app, database_url):
    app = make_app(database_url, rate_limit_rps=0.01, rate_limit_burst=2)
    async with serving(app), _client_at(app, "10.2.0.8") as client:
        statuses = [(await client.get("/nope")).status_code, (await client.get("/nope")).status_code]
        routed = (await client.get("/v1/open")).status_code
    assert statuses == [404, 404]
    assert routed == 429


async def test_two_authorization_headers_are_refused_not_last_wins(make_app, database_url, signing_key):
    app = make_app(database_url)
    good = f"Bearer {signing_key.mint()}"
    async with serving(app), _client_at(app, "10.2.0.9") as client:
        for headers in (
            [("authorization", "Bearer junk"), ("authorization", good)],
            [("authorization", good), ("authorization", good)],
            [("authorization", "Basic eDp5"), ("authorization", good)],
        ):
            answer = await client.get("/v1/items/1", headers=headers)
            assert answer.status_code == 400, headers
            assert answer.headers["content-type"] == "application/problem+json"
            assert "Authorization" in answer.json()["detail"]
        on_public = await client.get("/v1/open", headers=[("authorization", good), ("authorization", good)])
        single = await client.get("/v1/items/1", headers={"authorization": good})
    assert on_public.status_code == 400
    assert single.status_code == 200


async def _chunks() -> AsyncIterator[bytes]:
    yield b'{"a":'
    yield b" 1}"


async def test_a_json_body_without_any_content_type_is_415(make_app, database_url):
    app = make_app(database_url)
    async with serving(app) as client:
        bare = await client.post("/v1/echo", content=b'{"a": 1}')
        chunked = await client.post("/v1/echo", content=_chunks())
        typed = await client.post("/v1/echo", json={"a": 1})
        empty = await client.post("/v1/credentials")
    assert "content-type" not in bare.request.headers
    assert bare.status_code == 415
    assert bare.headers["content-type"] == "application/problem+json"
    assert chunked.status_code == 415
    assert typed.status_code == 201
    assert empty.status_code == 201, "a POST with no body needs no Content-Type"


@websocket("/v1/chat")
async def chat(socket: WebSocket) -> None:
    await socket.accept()
    await socket.send_text("connected without a token")
    await socket.close()


class WebSocketSlice(InitPluginProtocol):
    """Mounts the WebSocket route the way a slice mounts its handlers."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.append(chat)
        return app_config


async def test_a_websocket_route_is_refused_without_a_token(database_url, signing_key):
    """A WebSocket mounted on a service used to accept a connection with no token at all."""

    def keys(_: Runtime) -> StaticKeySource:
        return StaticKeySource({signing_key.kid: signing_key.public})

    app = create_service_app(
        settings=kit_settings(database_url),
        slices=[TEST_SLICE, WebSocketSlice()],  # type: ignore[list-item]
        migrations=MIGRATIONS,
        description="kit test service with a websocket",
        keys_factory=keys,
    )
    async with AsyncTestClient(app=app) as client:
        for headers in ({}, {"authorization": f"Bearer {signing_key.mint()}"}):
            with (
                pytest.raises(WebSocketDisconnect) as refused,
                await client.websocket_connect("/v1/chat", headers=headers) as socket,
            ):
                socket.receive_text()
            assert refused.value.code == 1008
        assert (await client.get("/v1/open")).status_code == 200


async def test_strict_limits_follow_the_forwarded_client_only_behind_a_trusted_proxy(make_app, database_url):
    app = make_app(database_url, rate_limit_strict_rps=0.01, rate_limit_strict_burst=1, trusted_proxies="10.9.0.0/16")
    async with serving(app), _client_at(app, "10.9.0.1") as ingress, _client_at(app, "192.0.2.50") as direct:
        alice = [(await ingress.post("/v1/credentials", headers={"x-forwarded-for": "203.0.113.1"})).status_code]
        bob = [(await ingress.post("/v1/credentials", headers={"x-forwarded-for": "203.0.113.2"})).status_code]
        alice.append((await ingress.post("/v1/credentials", headers={"x-forwarded-for": "203.0.113.1"})).status_code)
        # a client talking to the replica directly cannot pick a fresh address per request
        spoofed = [
            (await direct.post("/v1/credentials", headers={"x-forwarded-for": f"198.51.100.{i}"})).status_code
            for i in range(3)
        ]
    assert alice == [201, 429]
    assert bob == [201], "behind the same ingress, another user is not limited by the first"
    assert spoofed == [201, 429, 429]


async def test_unknown_paths_are_traced_when_sampled(make_app, database_url):
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.sdk.trace.sampling import ALWAYS_ON

    from fleetkit.telemetry import ServerSpans, _StagedIds

    exporter = InMemorySpanExporter()
    ids = _StagedIds()
    provider = TracerProvider(sampler=ALWAYS_ON, id_generator=ids)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = make_app(database_url)
    async with serving(app), _client_at(app, "10.2.0.10") as scanner:
        app.state.runtime.server_spans = ServerSpans(provider.get_tracer("test.http"), ids, ALWAYS_ON)
        missing = await scanner.get("/.env")
        wrong = await scanner.delete("/v1/open")
    assert (missing.status_code, wrong.status_code) == (404, 405)
    spans = {span.name: span for span in exporter.get_finished_spans()}
    assert set(spans) == {"GET", "DELETE"}, "named by the method alone, never the raw path"
    assert spans["GET"].attributes["http.response.status_code"] == 404
    assert spans["DELETE"].attributes["http.response.status_code"] == 405
