"""OpenTelemetry tracing: OTLP over http/protobuf, parent-based ratio sampling, W3C context.

Only sampled requests pay for spans: the kit middleware asks the sampler first and, for the
(default 90%) unsampled ones, merely carries the incoming trace context forward so downstream
services make the same decision. asyncpg and aiohttp-client instrumentation add the database
and peer-call spans under the request span.
"""

from __future__ import annotations

import os
import socket

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from fleetkit.settings import KitSettings

__all__ = ["setup_tracing"]


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

    AsyncPGInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
    AioHttpClientInstrumentor().instrument(tracer_provider=provider)
    return provider.get_tracer("fleetkit")


def shutdown_tracing() -> None:
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.shutdown()
