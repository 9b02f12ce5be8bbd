"""Query spans from the pool's TracedConnection: only under a sampled request, with their parent.

The spans go to the SDK's in-memory exporter (a real TracerProvider); the OTLP path to a real
receiver is covered by tests/observability.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit

import asyncpg
import pytest
from kit_support import kit_settings
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased, TraceIdRatioBased
from opentelemetry.trace.span import TraceState

from fleetkit import query_spans, telemetry
from fleetkit.db import KitPool, open_pool
from fleetkit.query_spans import TracedConnection, connection_class
from fleetkit.telemetry import ServerSpans, _StagedIds


@pytest.fixture
def provider() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=ALWAYS_ON)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


@pytest.fixture
def exported(provider: tuple[TracerProvider, InMemorySpanExporter]) -> InMemorySpanExporter:
    return provider[1]


@pytest.fixture
async def traced_pool(
    database_url: str, provider: tuple[TracerProvider, InMemorySpanExporter]
) -> AsyncIterator[KitPool]:
    """The kit's own pool (``open_pool``) with a tracer: its connections are ``TracedConnection``s."""
    settings = kit_settings(database_url)
    traced = connection_class(provider[0].get_tracer("test.db"), settings.database_url)
    pool = await open_pool(settings, connection_class=traced)
    async with pool.acquire() as conn:
        assert isinstance(conn._slot.con, TracedConnection)
        assert conn.tracer is not None
    try:
        yield pool
    finally:
        await pool.close()


def _request_span(sampled: bool) -> trace.Span:
    provider = TracerProvider(sampler=ALWAYS_ON if sampled else ALWAYS_OFF)
    return provider.get_tracer("test.http").start_span("GET /v1/x", kind=trace.SpanKind.SERVER)


async def test_a_sampled_request_gets_one_client_span_per_query_under_its_span(
    exported: InMemorySpanExporter, traced_pool: KitPool, database_url: str
) -> None:
    request = _request_span(sampled=True)
    with trace.use_span(request, end_on_exit=True):
        assert await traced_pool.fetchval("SELECT 1") == 1
        async with traced_pool.acquire() as conn:
            await conn.execute("  select 2")
            assert len(await conn.fetch("SELECT generate_series(1, 3)")) == 3
    spans = exported.get_finished_spans()
    assert [s.name for s in spans] == ["SELECT", "SELECT", "SELECT"]
    for span in spans:
        assert span.kind is trace.SpanKind.CLIENT
        assert span.parent is not None
        assert span.parent.span_id == request.get_span_context().span_id
        assert span.context.trace_id == request.get_span_context().trace_id
        assert span.attributes is not None
        assert span.attributes["db.system"] == "postgresql"
        assert span.attributes["db.namespace"] == urlsplit(database_url).path.lstrip("/")
        assert span.attributes["server.address"] == "127.0.0.1"
        assert span.attributes["server.port"] == (urlsplit(database_url).port or 5432)
    assert spans[1].attributes is not None
    assert spans[1].attributes["db.query.text"] == "  select 2"


async def test_an_unsampled_request_or_no_request_makes_no_query_span(
    exported: InMemorySpanExporter, traced_pool: KitPool
) -> None:
    with trace.use_span(_request_span(sampled=False), end_on_exit=True):
        assert await traced_pool.fetchrow("SELECT 1 AS one") is not None
    assert await traced_pool.fetchval("SELECT 1") == 1  # no current span at all
    assert exported.get_finished_spans() == ()


async def test_a_failing_query_ends_its_span_with_error_status_and_reraises(
    exported: InMemorySpanExporter, traced_pool: KitPool
) -> None:
    with trace.use_span(_request_span(sampled=True), end_on_exit=True), pytest.raises(asyncpg.UndefinedTableError):
        await traced_pool.fetch("SELECT * FROM no_such_table")
    (span,) = exported.get_finished_spans()
    assert span.status.status_code is trace.StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == "UndefinedTableError"
    assert span.end_time is not None


async def test_a_pool_opened_without_a_connection_class_makes_no_spans(database_url: str) -> None:
    pool = await open_pool(kit_settings(database_url))
    try:
        async with pool.acquire() as conn:
            assert type(conn._slot.con) is asyncpg.Connection
        with trace.use_span(_request_span(sampled=True), end_on_exit=True):
            assert await pool.fetchval("SELECT 3") == 3
    finally:
        await pool.close()


def test_database_attributes_come_from_the_dsn_without_its_credentials() -> None:
    attributes = query_spans._database_attributes("postgresql://app:s3cret@db.example:6432/shop?sslmode=require")
    assert attributes == {
        "db.system": "postgresql",
        "db.system.name": "postgresql",
        "db.namespace": "shop",
        "server.address": "db.example",
        "server.port": 6432,
    }


# --- request spans: the sampling decision taken without the SDK for unsampled requests ---


def _server_spans(ratio: float) -> tuple[ServerSpans, _StagedIds, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    ids = _StagedIds()
    sampler = ParentBased(TraceIdRatioBased(ratio))
    provider = TracerProvider(sampler=sampler, id_generator=ids)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return ServerSpans(provider.get_tracer("test.http"), ids, sampler), ids, exporter


def _remote(trace_id: int, sampled: bool, state: str = "") -> Context:
    flags = trace.TraceFlags(trace.TraceFlags.SAMPLED if sampled else trace.TraceFlags.DEFAULT)
    span_context = trace.SpanContext(
        trace_id, 0xABC, is_remote=True, trace_flags=flags, trace_state=TraceState.from_header([state] if state else [])
    )
    return trace.set_span_in_context(trace.NonRecordingSpan(span_context))


@pytest.mark.parametrize("low_bits", [0, (1 << 62) - 1])
def test_a_root_whose_trace_id_falls_under_the_ratio_is_the_sdks_sampled_span_with_that_id(
    low_bits: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    spans, ids, exporter = _server_spans(0.25)  # bound: 2^62
    drawn = (0x1234 << 64) | low_bits
    monkeypatch.setattr(RandomIdGenerator, "generate_trace_id", lambda self: drawn)
    span = spans.start("GET /v1/x", None)
    assert span.is_recording()
    assert span.get_span_context().trace_id == drawn
    assert span.get_span_context().trace_flags.sampled
    span.end()
    assert [s.name for s in exporter.get_finished_spans()] == ["GET /v1/x"]
    assert ids.staged == 0  # consumed by that span


@pytest.mark.parametrize("low_bits", [1 << 62, (1 << 64) - 1])
def test_a_root_over_the_ratio_is_a_bare_unsampled_span_that_still_carries_ids(
    low_bits: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    spans, ids, exporter = _server_spans(0.25)
    drawn = (0x99 << 64) | low_bits
    monkeypatch.setattr(RandomIdGenerator, "generate_trace_id", lambda self: drawn)
    span = spans.start("GET /v1/x", None)
    context = span.get_span_context()
    assert not span.is_recording()
    assert context.trace_id == drawn
    assert context.span_id != 0
    assert not context.trace_flags.sampled
    span.end()
    assert exporter.get_finished_spans() == ()
    assert ids.staged == 0


def test_the_sampled_share_of_roots_is_the_ratio() -> None:
    spans, _ids, exporter = _server_spans(0.1)
    for _ in range(20_000):
        spans.start("GET /v1/x", None).end()
    assert 1_700 < len(exporter.get_finished_spans()) < 2_300  # 2,000 expected, sd 42: seven sd either side


def test_an_unsampled_caller_gets_an_unsampled_child_in_its_trace_with_its_state() -> None:
    spans, _ids, exporter = _server_spans(1.0)
    span = spans.start("GET /v1/x", _remote(0xFEED, sampled=False, state="vendor=1"))
    context = span.get_span_context()
    assert not span.is_recording()
    assert context.trace_id == 0xFEED
    assert context.span_id not in (0, 0xABC)
    assert context.trace_state.get("vendor") == "1"
    span.end()
    assert exporter.get_finished_spans() == ()


def test_a_sampled_caller_gets_a_recorded_child_of_its_span() -> None:
    spans, _ids, exporter = _server_spans(0.0)  # the caller's decision wins over the ratio
    span = spans.start("GET /v1/x", _remote(0xFEED, sampled=True))
    assert span.is_recording()
    span.end()
    (finished,) = exporter.get_finished_spans()
    assert finished.context.trace_id == 0xFEED
    assert finished.parent is not None
    assert finished.parent.span_id == 0xABC


# --- OTEL_TRACES_SAMPLER / _ARG: the kit decides exactly as the SDK configured by the env ---

SAMPLERS = (
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
)


@pytest.mark.parametrize("ratio", [0.0, 0.1, 0.5, 1.0])
@pytest.mark.parametrize("name", SAMPLERS)
def test_request_span_decisions_equal_the_sdk_sampler_configured_by_the_env(
    name: str, ratio: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    import random

    from opentelemetry.sdk.trace.sampling import Decision

    monkeypatch.setenv("OTEL_TRACES_SAMPLER", name)
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", str(ratio))
    sdk_sampler = TracerProvider().sampler  # the SDK reads the two variables itself
    settings = kit_settings("postgresql://x@127.0.0.1/x", otel_traces_sampler=name, otel_traces_sampler_arg=ratio)
    ids = _StagedIds()
    chosen = telemetry.sampler(settings)
    provider = TracerProvider(sampler=chosen, id_generator=ids)
    spans = telemetry.server_spans(settings, provider.get_tracer("test.http"), ids, chosen)
    draw = random.Random(f"{name}-{ratio}")
    decisions = set()
    for _ in range(400):
        trace_id = draw.getrandbits(128) or 1
        for parent in (None, _remote(trace_id, sampled=True), _remote(trace_id, sampled=False)):
            ids.staged = trace_id if parent is None else 0
            span = spans.start("GET /v1/x", parent)
            context = Context() if parent is None else parent
            expected = sdk_sampler.should_sample(context, trace_id, "GET /v1/x", trace.SpanKind.SERVER).decision
            assert span.is_recording() == (expected is not Decision.DROP), (name, ratio, parent, trace_id)
            assert span.get_span_context().trace_flags.sampled == (expected is Decision.RECORD_AND_SAMPLE)
            assert span.get_span_context().trace_id == trace_id
            decisions.add(span.is_recording())
            span.end()
    if name.endswith("traceidratio") and 0 < ratio < 1:
        assert decisions == {True, False}  # the draws crossed the bound both ways


def test_an_unknown_sampler_name_stops_start_up_naming_the_variable() -> None:
    from fleetkit.settings import KitSettings, SettingsError, load_settings

    environ = {
        "SERVICE_NAME": "t",
        "DATABASE_URL": "postgresql://x@127.0.0.1/x",
        "OTEL_TRACES_SAMPLER": "jaeger_remote",
    }
    with pytest.raises(SettingsError, match="OTEL_TRACES_SAMPLER is invalid"):
        load_settings(KitSettings, environ)
