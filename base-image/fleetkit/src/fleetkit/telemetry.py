"""OpenTelemetry tracing: OTLP over http/protobuf, parent-based ratio sampling, W3C context.

Only sampled requests pay for spans: the kit middleware asks the sampler first and, for the
(default 90%) unsampled ones, merely carries the incoming trace context forward so downstream
services make the same decision. The pool's ``TracedConnection`` adds a span per query and the
aiohttp-client instrumentation one per peer call, under the request span.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar
from urllib.parse import urlsplit

import asyncpg
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.util.re import parse_env_headers

from fleetkit.otlp import LoopSpanExporter
from fleetkit.settings import KitSettings

__all__ = ["ServerSpans", "TracedConnection", "Tracing", "connection_class", "setup_tracing", "shutdown_tracing"]


#: What a query may raise that marks its span as failed (the exception itself propagates).
_QUERY_FAULTS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)


def _operation(query: str) -> str:
    words = query.split(None, 1)
    return words[0].upper() if words else "QUERY"


def _query_span(conn: TracedConnection, query: str) -> trace.Span | None:
    """A CLIENT span for one query, or None (the cheap, common answer) unless the request is sampled."""
    tracer = conn.tracer
    if tracer is None or not trace.get_current_span().is_recording():
        return None
    attributes = {**conn.span_attributes, "db.query.text": query}
    return tracer.start_span(_operation(query), kind=trace.SpanKind.CLIENT, attributes=attributes)


def _traced(method: Any) -> Any:
    async def traced(self: TracedConnection, query: str, *args: Any, **kwargs: Any) -> Any:
        span = _query_span(self, query)
        if span is None:
            return await method(self, query, *args, **kwargs)
        try:
            return await method(self, query, *args, **kwargs)
        except _QUERY_FAULTS as exc:
            span.set_status(trace.StatusCode.ERROR)
            span.set_attribute("error.type", type(exc).__qualname__)
            raise
        finally:
            span.end()

    traced.__name__ = method.__name__
    traced.__doc__ = method.__doc__
    return traced


class TracedConnection(asyncpg.Connection):  # type: ignore[misc]
    """The pool's connection class: one CLIENT span per query, only under a sampled request.

    It replaces ``opentelemetry-instrumentation-asyncpg``, which parses the statement and builds
    the span's attributes for every query before asking whether anything records, and adds a
    wrapt layer to each call; on the benchmark's one-query GET that was about a tenth of the
    request (docs/performance.md). Here an unsampled request pays one context lookup per query.
    Spans carry ``db.system`` / ``db.system.name``, ``db.namespace``, ``server.address``,
    ``server.port`` and the statement (``db.query.text``:
    parameters are never recorded); their parent is the current span. Cursors are not traced.
    """

    __slots__ = ()
    #: Set on the per-pool subclass ``connection_class`` makes; None here: no spans.
    tracer: ClassVar[trace.Tracer | None] = None
    span_attributes: ClassVar[Mapping[str, str | int]] = MappingProxyType({})

    execute = _traced(asyncpg.Connection.execute)
    executemany = _traced(asyncpg.Connection.executemany)
    fetch = _traced(asyncpg.Connection.fetch)
    fetchval = _traced(asyncpg.Connection.fetchval)
    fetchrow = _traced(asyncpg.Connection.fetchrow)
    fetchmany = _traced(asyncpg.Connection.fetchmany)


def connection_class(tracer: trace.Tracer | None, dsn: str) -> type[TracedConnection]:
    """The pool's connection class: ``TracedConnection`` bound to the worker's tracer, or untraced."""
    if tracer is None:
        return TracedConnection
    bound = {"__slots__": (), "tracer": tracer, "span_attributes": MappingProxyType(_database_attributes(dsn))}
    return type("TracedConnection", (TracedConnection,), bound)


def _database_attributes(dsn: str) -> dict[str, str | int]:
    url = urlsplit(dsn)
    name = url.path.lstrip("/") or (url.username or "")
    attributes: dict[str, str | int] = {"db.system": "postgresql", "db.system.name": "postgresql"}
    if name:
        attributes["db.namespace"] = name
    if url.hostname:
        attributes["server.address"] = url.hostname
    with contextlib.suppress(ValueError):
        attributes["server.port"] = url.port or 5432
    return attributes


#: What TraceIdRatioBased compares: the low 64 bits of the trace id.
_TRACE_ID_LIMIT = (1 << 64) - 1
_UNSAMPLED = trace.TraceFlags(trace.TraceFlags.DEFAULT)
_NO_PARENT = Context()


class _StagedIds(RandomIdGenerator):
    """The SDK's random ids, except one trace id staged by ``ServerSpans`` for the next root span."""

    def __init__(self) -> None:
        self.staged = 0

    def generate_trace_id(self) -> int:
        staged, self.staged = self.staged, 0
        return staged or super().generate_trace_id()


class ServerSpans:
    """Starts the request spans: the SDK for sampled requests, a bare non-recording span otherwise.

    The provider samples parent-based with ``TraceIdRatioBased(ratio)``. For the unsampled
    requests (90% by default) the SDK's ``start_span`` runs both samplers, builds attribute
    containers and a span object that records nothing; here the same decision is taken directly
    (the root rule is TraceIdRatioBased's own: the trace id's low 64 bits below ``ratio * 2^64``)
    and only a ``NonRecordingSpan`` with fresh ids is made, which is all that propagation and
    log correlation need. A sampled root's trace id is staged in the provider's id generator,
    so the SDK span carries the very id that was sampled and its sampler agrees.
    """

    __slots__ = ("_bound", "_ids", "_tracer")

    def __init__(self, tracer: trace.Tracer, ids: _StagedIds, ratio: float) -> None:
        self._tracer = tracer
        self._ids = ids
        self._bound = round(ratio * (_TRACE_ID_LIMIT + 1))

    def start(self, name: str, parent: Context | None) -> trace.Span:
        """The server span of a request; ``parent`` is the extracted incoming context, if any."""
        ids = self._ids
        if parent is None:
            trace_id = ids.generate_trace_id()
            if trace_id & _TRACE_ID_LIMIT < self._bound:
                ids.staged = trace_id
                return self._tracer.start_span(name, context=_NO_PARENT, kind=trace.SpanKind.SERVER)
            return trace.NonRecordingSpan(
                trace.SpanContext(trace_id, ids.generate_span_id(), is_remote=False, trace_flags=_UNSAMPLED)
            )
        remote = trace.get_current_span(parent).get_span_context()
        if remote.is_valid and not remote.trace_flags.sampled:
            return trace.NonRecordingSpan(
                trace.SpanContext(
                    remote.trace_id,
                    ids.generate_span_id(),
                    is_remote=False,
                    trace_flags=_UNSAMPLED,
                    trace_state=remote.trace_state,
                )
            )
        return self._tracer.start_span(name, context=parent, kind=trace.SpanKind.SERVER)


class Tracing:
    """What ``setup_tracing`` opens: the tracer, the request-span starter and the exporter."""

    __slots__ = ("exporter", "server_spans", "tracer")

    def __init__(self, tracer: trace.Tracer, server_spans: ServerSpans, exporter: LoopSpanExporter) -> None:
        self.tracer = tracer
        self.server_spans = server_spans
        self.exporter = exporter


def export_headers(settings: KitSettings) -> dict[str, str]:
    """The headers of every span export, parsed as the SDK parses its variables (traces' win)."""
    return {
        **parse_env_headers(settings.otel_exporter_otlp_headers, liberal=True),
        **parse_env_headers(settings.otel_exporter_otlp_traces_headers, liberal=True),
    }


def setup_tracing(settings: KitSettings) -> Tracing | None:
    """Install the process's tracer provider; None when no collector is configured.

    The exporter sends from the event loop: run it with ``async with tracing.exporter.running(t)``.
    The SDK's batch and header variables keep their names and meaning, read as kit settings
    (``OTEL_BSP_*``, ``OTEL_EXPORTER_OTLP(_TRACES)_HEADERS``); the batch defaults differ (1 s and
    128 spans, not 5 s and 512) so each batch holds the loop briefly.
    """
    if not settings.otel_exporter_otlp_endpoint:
        return None
    resource = Resource.create(
        {
            "service.name": settings.service_name,
            "service.version": settings.service_version,
            "service.instance.id": f"{socket.gethostname()}-{os.getpid()}",
        }
    )
    ids = _StagedIds()
    ratio = settings.otel_traces_sampler_arg
    provider = TracerProvider(resource=resource, sampler=ParentBased(TraceIdRatioBased(ratio)), id_generator=ids)
    endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
    exporter = LoopSpanExporter(
        endpoint,
        timeout_s=settings.http_total_timeout_s,
        headers=export_headers(settings),
        max_queue=settings.otel_bsp_max_queue_size,
        max_batch=settings.otel_bsp_max_export_batch_size,
        delay_s=settings.otel_bsp_schedule_delay / 1000,
    )
    provider.add_span_processor(exporter)
    trace.set_tracer_provider(provider)
    from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor

    AioHttpClientInstrumentor().instrument(tracer_provider=provider)
    tracer = provider.get_tracer("fleetkit")
    return Tracing(tracer, ServerSpans(tracer, ids, ratio), exporter)


def shutdown_tracing() -> None:
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.shutdown()
