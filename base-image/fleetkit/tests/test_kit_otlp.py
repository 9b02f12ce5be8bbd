"""The loop span exporter against a real OTLP/HTTP receiver on 127.0.0.1 (aiohttp.web).

The receiver decodes every export with the OTLP protobuf schema, so these tests see what a
collector would; it can be told to answer with an error status first, to exercise retries.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from multidict import CIMultiDict
from opentelemetry import trace
from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON

from fleetkit.otlp import LoopSpanExporter
from fleetkit.settings import KitSettings
from fleetkit.telemetry import export_headers


@dataclass
class Receiver:
    endpoint: str = ""
    failures: list[int] = field(default_factory=list)  # statuses to answer first, in order
    batches: list[list[str]] = field(default_factory=list)  # span names per accepted export
    headers: list[CIMultiDict[str]] = field(default_factory=list)
    posts: int = 0

    @property
    def names(self) -> list[str]:
        return [name for batch in self.batches for name in batch]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()

    async def export(request: web.Request) -> web.Response:
        state.posts += 1
        state.headers.append(request.headers.copy())
        if state.failures:
            return web.Response(status=state.failures.pop(0))
        message = ExportTraceServiceRequest.FromString(await request.read())
        state.batches.append([span.name for rs in message.resource_spans for ss in rs.scope_spans for span in ss.spans])
        body = ExportTraceServiceResponse().SerializeToString()
        return web.Response(body=body, content_type="application/x-protobuf")

    app = web.Application()
    app.router.add_post("/v1/traces", export)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    state.endpoint = f"http://127.0.0.1:{port}/v1/traces"
    yield state
    await runner.cleanup()


def _provider(exporter: LoopSpanExporter, *, sampled: bool = True) -> TracerProvider:
    provider = TracerProvider(sampler=ALWAYS_ON if sampled else ALWAYS_OFF)
    provider.add_span_processor(exporter)
    return provider


def _make_spans(provider: TracerProvider, count: int, prefix: str = "op") -> None:
    tracer = provider.get_tracer("test")
    for i in range(count):
        tracer.start_span(f"{prefix}-{i}", kind=trace.SpanKind.SERVER).end()


async def _eventually(condition: object, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_export_headers_come_from_the_settings_as_the_sdk_parses_them() -> None:
    settings = KitSettings(
        service_name="t",
        database_url="postgresql://x@127.0.0.1/x",
        otel_exporter_otlp_headers="authorization=Bearer%20abc,x-tenant=t1",
        otel_exporter_otlp_traces_headers="x-tenant=t2",
    )
    assert export_headers(settings) == {"authorization": "Bearer abc", "x-tenant": "t2"}


async def test_sampled_spans_arrive_in_bounded_batches_with_the_configured_headers(receiver: Receiver) -> None:
    headers = {"authorization": "Bearer abc", "x-tenant": "t2"}
    exporter = LoopSpanExporter(receiver.endpoint, timeout_s=5, headers=headers, max_batch=4, delay_s=0.05)
    exporter.start()
    provider = _provider(exporter)
    instrumentor = AioHttpClientInstrumentor()
    instrumentor.instrument(tracer_provider=provider)  # the exporter's own posts must not be traced
    try:
        _make_spans(provider, 10)
        _make_spans(_provider(exporter, sampled=False), 3, prefix="unsampled")
        await _eventually(lambda: len(receiver.names) >= 10)
        await asyncio.sleep(0.2)  # time for any stray export (an instrumented post) to arrive
    finally:
        instrumentor.uninstrument()
        await exporter.close(timeout=5)
    assert sorted(receiver.names) == sorted(f"op-{i}" for i in range(10))
    assert all(len(batch) <= 4 for batch in receiver.batches)
    assert exporter.exported == 10
    assert exporter.dropped == 0
    assert receiver.headers[0]["authorization"] == "Bearer abc"
    assert receiver.headers[0]["x-tenant"] == "t2"
    assert receiver.headers[0]["content-type"] == "application/x-protobuf"
    # An instrumented post would carry the exporter's own trace context.
    assert not any("traceparent" in headers for headers in receiver.headers)


async def test_a_retryable_answer_is_retried_and_the_batch_arrives_once(receiver: Receiver) -> None:
    receiver.failures = [503, 429]
    exporter = LoopSpanExporter(receiver.endpoint, timeout_s=10, delay_s=0.05)
    exporter.start()
    try:
        _make_spans(_provider(exporter), 3)
        await _eventually(lambda: exporter.exported == 3, timeout=8)
    finally:
        await exporter.close(timeout=5)
    assert receiver.posts == 3
    assert receiver.names == ["op-0", "op-1", "op-2"]
    assert exporter.dropped == 0


async def test_a_refused_batch_is_dropped_and_counted_without_retrying(receiver: Receiver) -> None:
    receiver.failures = [400]
    exporter = LoopSpanExporter(receiver.endpoint, timeout_s=5, delay_s=0.05)
    exporter.start()
    try:
        _make_spans(_provider(exporter), 2)
        await _eventually(lambda: exporter.dropped == 2)
        _make_spans(_provider(exporter), 1, prefix="later")
        await _eventually(lambda: exporter.exported == 1)
    finally:
        await exporter.close(timeout=5)
    assert receiver.posts == 2
    assert receiver.names == ["later-0"]


async def test_an_unreachable_collector_costs_the_batch_not_the_service() -> None:
    exporter = LoopSpanExporter("http://127.0.0.1:1/v1/traces", timeout_s=0.6, delay_s=0.05)
    exporter.start()
    try:
        _make_spans(_provider(exporter), 2)
        await _eventually(lambda: exporter.dropped == 2)
    finally:
        await exporter.close(timeout=5)
    assert exporter.exported == 0


async def test_a_full_queue_drops_new_spans_instead_of_blocking(receiver: Receiver) -> None:
    exporter = LoopSpanExporter(receiver.endpoint, timeout_s=5, max_queue=5, max_batch=100, delay_s=60)
    exporter.start()
    _make_spans(_provider(exporter), 8)  # no loop turn in between: nothing is sent yet
    assert exporter.dropped == 3
    await exporter.close(timeout=5)  # close flushes what was queued
    assert sorted(receiver.names) == [f"op-{i}" for i in range(5)]
    assert exporter.exported == 5


async def test_spans_ending_after_close_are_dropped(receiver: Receiver) -> None:
    exporter = LoopSpanExporter(receiver.endpoint, timeout_s=5, delay_s=0.05)
    exporter.start()
    await exporter.close(timeout=5)
    _make_spans(_provider(exporter), 2)
    assert exporter.dropped == 2
    assert receiver.posts == 0


async def test_running_flushes_what_is_queued_when_the_block_ends(receiver: Receiver) -> None:
    exporter = LoopSpanExporter(receiver.endpoint, timeout_s=5, delay_s=60)
    async with exporter.running(close_timeout=5):
        _make_spans(_provider(exporter), 3)  # no full batch, no delay passed: only the exit sends them
    assert receiver.names == ["op-0", "op-1", "op-2"]
    assert exporter.exported == 3
