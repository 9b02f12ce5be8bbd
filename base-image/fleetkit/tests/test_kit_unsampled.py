"""Unsampled requests: no span attached, yet peer calls and log lines carry their trace.

The app runs the real kit middleware with a request-span starter over an SDK provider and an
in-memory exporter; its one route calls a local aiohttp server through a session instrumented
the way the kit's lifespan instruments the worker's (``ContinuingTracerProvider``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from kit_support import MIGRATIONS, kit_settings, serving_concurrently
from litestar import get
from opentelemetry import trace
from opentelemetry.instrumentation.aiohttp_client import create_trace_config
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from fleetkit.app import Slice, create_service_app
from fleetkit.policy import PUBLIC
from fleetkit.telemetry import ServerSpans, _StagedIds, add_trace_ids
from fleetkit.unsampled import ContinuingTracerProvider, UnsampledTrace

INCOMING_TRACE = 0x0AF7651916CD43DD8448EB211C80319C


@pytest.fixture
async def peer() -> AsyncIterator[tuple[TestServer, list[str | None]]]:
    """A downstream service that records the traceparent of every call."""
    seen: list[str | None] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append(request.headers.get("traceparent"))
        return web.json_response({})

    application = web.Application()
    application.router.add_get("/peer", answer)
    server = TestServer(application, host="127.0.0.1")
    await server.start_server()
    try:
        yield server, seen
    finally:
        await server.close()


async def _serve_one(database_url: str, ratio: float, peer_url: str, headers: dict[str, str]) -> tuple[Any, Any]:
    """One request to a route that calls the peer; the route's view of the trace, and the spans."""
    exporter = InMemorySpanExporter()
    ids = _StagedIds()
    sampler = ParentBased(TraceIdRatioBased(ratio))
    provider = TracerProvider(sampler=sampler, id_generator=ids)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    continuing = ContinuingTracerProvider(provider)

    @get("/v1/relay", opt=PUBLIC.opt())
    async def relay() -> dict[str, Any]:
        attached = trace.get_current_span().get_span_context().is_valid
        line = add_trace_ids(None, "info", {})
        async with (
            aiohttp.ClientSession(trace_configs=[create_trace_config(tracer_provider=continuing)]) as session,
            session.get(peer_url) as answer,
        ):
            await answer.read()
        return {"attached": attached, "line": line, "after": add_trace_ids(None, "info", {})}

    app = create_service_app(
        settings=kit_settings(database_url), slices=[Slice(relay)], migrations=MIGRATIONS, description="unsampled"
    )
    async with serving_concurrently(app) as client:
        app.state.runtime.server_spans = ServerSpans(provider.get_tracer("test.http"), ids, sampler, fast_ratio=ratio)
        response = await client.get("/v1/relay", headers=headers)
    assert response.status_code == 200
    provider.shutdown()
    return response.json(), exporter.get_finished_spans()


@pytest.mark.parametrize("caller", ["none", "unsampled"])
async def test_an_unsampled_request_attaches_no_span_but_its_peer_calls_and_logs_carry_its_trace(
    database_url: str, peer: tuple[TestServer, list[str | None]], caller: str
) -> None:
    server, seen = peer
    headers = {"traceparent": f"00-{INCOMING_TRACE:032x}-00f067aa0ba902b7-00"} if caller == "unsampled" else {}
    seen_by_route, spans = await _serve_one(database_url, 0.0, str(server.make_url("/peer")), headers)
    assert seen_by_route["attached"] is False, "nothing attached to OpenTelemetry's context"
    assert spans == (), "no span recorded, none exported"
    (traceparent,) = seen
    assert traceparent is not None
    version, trace_id, span_id, flags = traceparent.split("-")
    assert (version, flags) == ("00", "00"), "the peer is told the trace is not sampled"
    if caller == "unsampled":
        assert int(trace_id, 16) == INCOMING_TRACE, "the caller's trace goes on downstream"
    line = seen_by_route["line"]
    assert line["trace_id"] == trace_id, "log lines name the trace the peer was called in"
    assert seen_by_route["after"] == line, "one span id for the whole request"
    assert int(line["span_id"], 16) not in (0, int(span_id, 16), 0x00F067AA0BA902B7)


async def test_a_sampled_request_records_its_span_and_its_peer_calls_child(
    database_url: str, peer: tuple[TestServer, list[str | None]]
) -> None:
    server, seen = peer
    seen_by_route, spans = await _serve_one(database_url, 1.0, str(server.make_url("/peer")), {})
    assert seen_by_route["attached"] is True
    by_kind = {span.kind: span for span in spans}
    assert set(by_kind) == {trace.SpanKind.SERVER, trace.SpanKind.CLIENT}
    server_span, client_span = by_kind[trace.SpanKind.SERVER], by_kind[trace.SpanKind.CLIENT]
    assert server_span.name == "GET /v1/relay"
    assert client_span.parent is not None
    assert client_span.parent.span_id == server_span.context.span_id
    (traceparent,) = seen
    assert traceparent is not None
    sent = f"00-{client_span.context.trace_id:032x}-{client_span.context.span_id:016x}-"
    assert traceparent.startswith(sent)
    assert int(traceparent.removeprefix(sent), 16) & 1, "the sampled flag is on"
    assert seen_by_route["line"]["trace_id"] == f"{server_span.context.trace_id:032x}"


def test_an_unsampled_trace_makes_its_span_once_and_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[int] = []

    def span_id(self: RandomIdGenerator) -> int:
        drawn.append(len(drawn) + 7)
        return drawn[-1]

    monkeypatch.setattr(RandomIdGenerator, "generate_span_id", span_id)
    unsampled = UnsampledTrace(INCOMING_TRACE, _StagedIds(), None)
    assert drawn == []
    span = unsampled.span()
    assert unsampled.span() is span
    context = span.get_span_context()
    assert (context.trace_id, context.span_id, context.trace_flags.sampled) == (INCOMING_TRACE, 7, False)
    assert not span.is_recording()
    assert drawn == [7]


def test_outside_any_request_log_lines_get_no_trace_ids() -> None:
    assert add_trace_ids(None, "info", {"event": "x"}) == {"event": "x"}
