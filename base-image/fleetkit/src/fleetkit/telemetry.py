"""OpenTelemetry tracing: OTLP over http/protobuf, parent-based ratio sampling, W3C context.

Only sampled requests pay for spans: the kit middleware asks the sampler first and, for the
(default 90%) unsampled ones, merely carries the incoming trace context forward so downstream
services make the same decision. asyncpg and aiohttp-client instrumentation add the database
and peer-call spans under the request span.
"""

from __future__ import annotations

import contextlib
import os
import socket
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from fleetkit.settings import KitSettings

__all__ = ["setup_tracing"]


_NO_SPAN: contextlib.nullcontext[trace.Span] = contextlib.nullcontext(trace.INVALID_SPAN)


class _UnderRecordingSpans(trace.Tracer):
    """A tracer that makes spans only under a recording (sampled) span.

    The asyncpg instrumentation starts a span around every query; under an unsampled request
    the SDK would build a non-recording span for it anyway (parent-based sampling), after
    running the sampler and generating ids. Skipping that keeps the same traces and saves the
    work on the 90% of requests that are not sampled.
    """

    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer

    def start_span(self, name: str, context: Context | None = None, *args: Any, **kwargs: Any) -> trace.Span:
        if not trace.get_current_span(context).is_recording():
            return trace.INVALID_SPAN
        return self._tracer.start_span(name, context, *args, **kwargs)

    def start_as_current_span(  # type: ignore[override]
        self, name: str, context: Context | None = None, *args: Any, **kwargs: Any
    ) -> contextlib.AbstractContextManager[trace.Span]:
        if not trace.get_current_span(context).is_recording():
            return _NO_SPAN
        return self._tracer.start_as_current_span(name, context, *args, **kwargs)


class _UnderRecordingSpansProvider(trace.TracerProvider):
    def __init__(self, provider: trace.TracerProvider) -> None:
        self._provider = provider

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return _UnderRecordingSpans(self._provider.get_tracer(*args, **kwargs))


def setup_tracing(settings: KitSettings) -> trace.Tracer | None:
    """Install the process's tracer provider; None when no collector is configured."""
    if not settings.otel_exporter_otlp_endpoint:
        return None
    resource = Resource.create(
        {
            "service.name": settings.service_name,
            "service.version": settings.service_version,
            "service.instance.id": f"{socket.gethostname()}-{os.getpid()}",
        }
    )
    provider = TracerProvider(
        resource=resource, sampler=ParentBased(TraceIdRatioBased(settings.otel_traces_sampler_arg))
    )
    endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, timeout=settings.http_total_timeout_s))
    )
    trace.set_tracer_provider(provider)
    from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

    asyncpg_provider = _UnderRecordingSpansProvider(provider)
    AsyncPGInstrumentor().instrument(tracer_provider=asyncpg_provider)  # type: ignore[no-untyped-call]
    AioHttpClientInstrumentor().instrument(tracer_provider=provider)
    return provider.get_tracer("fleetkit")


def shutdown_tracing() -> None:
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.shutdown()
