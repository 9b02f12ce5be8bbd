"""OpenTelemetry tracing: OTLP over http/protobuf, the SDK's samplers, W3C context.

Only sampled requests pay for spans: the kit middleware asks the sampler first and, for the
(default 90%) unsampled ones, merely keeps the trace id (``fleetkit.unsampled``) so downstream
services make the same decision and log lines name the trace. The pool's connection class
(``fleetkit.query_spans``) adds a span per query and the aiohttp-client instrumentation one per
peer call, under the request span.

The exporter's and sampler's variables keep the SDK's names and meaning, read as kit settings
(validated at start): ``OTEL_TRACES_SAMPLER``/``_ARG``, ``OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT``,
``_HEADERS``, ``_COMPRESSION`` and ``_CERTIFICATE`` (the traces form wins over the general one,
and a traces endpoint is used as is while the general one gets ``/v1/traces``), ``OTEL_BSP_*``.
"""

from __future__ import annotations

import os
import socket
import ssl

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    Decision,
    ParentBased,
    Sampler,
    TraceIdRatioBased,
)
from opentelemetry.util.re import parse_env_headers
from prometheus_client import CollectorRegistry
from structlog.typing import EventDict

from fleetkit.otlp import LoopSpanExporter, SpanExportCollector
from fleetkit.settings import KitSettings, SettingsError
from fleetkit.unsampled import ContinuingTracerProvider, UnsampledTrace, current

__all__ = [
    "ServerSpans",
    "Tracing",
    "add_trace_ids",
    "collector_ssl_context",
    "sampler",
    "server_spans",
    "setup_tracing",
    "shutdown_tracing",
    "traces_endpoint",
]


def add_trace_ids(_: object, __: str, event_dict: EventDict) -> EventDict:
    """structlog processor: attach the current span's ids so a log line joins its trace.

    The span of an unsampled request is made here if this is its first line (``fleetkit.unsampled``).
    """
    context = trace.get_current_span().get_span_context()
    if not context.is_valid and (unsampled := current()) is not None:
        context = unsampled.span().get_span_context()
    if context.is_valid:
        event_dict["trace_id"] = format(context.trace_id, "032x")
        event_dict["span_id"] = format(context.span_id, "016x")
    return event_dict


#: What TraceIdRatioBased compares: the low 64 bits of the trace id.
_TRACE_ID_LIMIT = (1 << 64) - 1
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

    The decision is the provider's own sampler's (``should_sample``, the very call the SDK
    makes), taken before any span exists. For the requests it drops (90% by default) the SDK's
    ``start_span`` would go on to build attribute containers and a span object that records
    nothing; here only an ``UnsampledTrace`` is made (the trace id and the sampler's trace state),
    which makes the ``NonRecordingSpan`` the SDK would return (fresh span id) if propagation or a
    log line asks for it (``fleetkit.unsampled``). A sampled
    root's trace id is staged in the provider's id generator, so the SDK span carries the very
    id that was sampled and the sampler, asked again by the SDK, agrees.

    With the kit's default sampler (``parentbased_traceidratio``), ``fast_ratio`` lets the two
    common cases skip even ``should_sample`` (about 8 us a request here, measured in isolation):
    a root is TraceIdRatioBased's own rule (the trace id's low 64 bits below the SDK's bound for
    the ratio) and an unsampled caller is dropped (ParentBased's default for it). The kit tests
    check these decisions against the SDK sampler built from ``OTEL_TRACES_SAMPLER``/``_ARG``.
    """

    __slots__ = ("_bound", "_ids", "_sampler", "_tracer")

    def __init__(
        self, tracer: trace.Tracer, ids: _StagedIds, sampler: Sampler, *, fast_ratio: float | None = None
    ) -> None:
        self._tracer = tracer
        self._ids = ids
        self._sampler = sampler
        self._bound = None if fast_ratio is None else TraceIdRatioBased.get_bound_for_rate(fast_ratio)

    def begin(self, name: str, parent: Context | None) -> trace.Span | UnsampledTrace:
        """The request's SDK span when sampled, else its bare ``UnsampledTrace``.

        ``parent`` is the extracted incoming context, if any.
        """
        ids, bound = self._ids, self._bound
        if bound is not None:
            if parent is None:
                trace_id = ids.generate_trace_id()
                if trace_id & _TRACE_ID_LIMIT < bound:
                    ids.staged = trace_id
                    return self._tracer.start_span(name, context=_NO_PARENT, kind=trace.SpanKind.SERVER)
                return UnsampledTrace(trace_id, ids, None)
            remote = trace.get_current_span(parent).get_span_context()
            if remote.is_valid and not remote.trace_flags.sampled:
                return UnsampledTrace(remote.trace_id, ids, remote.trace_state)
        context = _NO_PARENT if parent is None else parent
        remote = trace.get_current_span(context).get_span_context()
        trace_id = remote.trace_id if remote.is_valid else ids.generate_trace_id()
        result = self._sampler.should_sample(context, trace_id, name, trace.SpanKind.SERVER)
        if result.decision is Decision.DROP:
            return UnsampledTrace(trace_id, ids, result.trace_state)
        if not remote.is_valid:
            ids.staged = trace_id
        return self._tracer.start_span(name, context=context, kind=trace.SpanKind.SERVER)

    def start(self, name: str, parent: Context | None) -> trace.Span:
        """``begin``, with the unsampled request's span made at once (a span either way)."""
        began = self.begin(name, parent)
        return began.span() if isinstance(began, UnsampledTrace) else began


def server_spans(settings: KitSettings, tracer: trace.Tracer, ids: _StagedIds, chosen: Sampler) -> ServerSpans:
    """The request-span starter for ``chosen`` (``sampler(settings)``): fast path for the default."""
    default = settings.otel_traces_sampler == "parentbased_traceidratio"
    return ServerSpans(tracer, ids, chosen, fast_ratio=settings.otel_traces_sampler_arg if default else None)


def sampler(settings: KitSettings) -> Sampler:
    """The SDK sampler ``OTEL_TRACES_SAMPLER``/``_ARG`` name, built from the SDK's own classes."""
    ratio = settings.otel_traces_sampler_arg
    match settings.otel_traces_sampler:
        case "always_on":
            return ALWAYS_ON
        case "always_off":
            return ALWAYS_OFF
        case "traceidratio":
            return TraceIdRatioBased(ratio)
        case "parentbased_always_on":
            return ParentBased(ALWAYS_ON)
        case "parentbased_always_off":
            return ParentBased(ALWAYS_OFF)
        case "parentbased_traceidratio":
            return ParentBased(TraceIdRatioBased(ratio))


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


def traces_endpoint(settings: KitSettings) -> str:
    """Where spans go: the traces URL as is, else the base URL plus ``/v1/traces`` (the OTLP rule)."""
    if settings.otel_exporter_otlp_traces_endpoint:
        return settings.otel_exporter_otlp_traces_endpoint
    if settings.otel_exporter_otlp_endpoint:
        return settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
    return ""


def collector_ssl_context(settings: KitSettings) -> ssl.SSLContext | None:
    """The collector's trusted CAs from the certificate setting (traces' wins); None: the system's."""
    variable, path = "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", settings.otel_exporter_otlp_traces_certificate
    if not path:
        variable, path = "OTEL_EXPORTER_OTLP_CERTIFICATE", settings.otel_exporter_otlp_certificate
    if not path:
        return None
    try:
        return ssl.create_default_context(cafile=path)
    except (OSError, ssl.SSLError) as exc:
        msg = f"{variable}={path!r} is not a readable PEM certificate file: {exc}"
        raise SettingsError(msg) from exc


def setup_tracing(settings: KitSettings, registry: CollectorRegistry | None = None) -> Tracing | None:
    """Install the process's tracer provider; None when no collector is configured.

    The exporter sends from the event loop: run it with ``async with tracing.exporter.running(t)``.
    Its counters go to ``registry`` (the worker's metrics). The batch defaults differ from the
    SDK's (1 s and 128 spans, not 5 s and 512) so each batch holds the loop briefly. A
    certificate setting that names no readable PEM file stops start-up, naming the variable.
    """
    endpoint = traces_endpoint(settings)
    if not endpoint:
        return None
    compression = settings.otel_exporter_otlp_traces_compression or settings.otel_exporter_otlp_compression
    context = collector_ssl_context(settings)
    resource = Resource.create(
        {
            "service.name": settings.service_name,
            "service.version": settings.service_version,
            "service.instance.id": f"{socket.gethostname()}-{os.getpid()}",
        }
    )
    ids = _StagedIds()
    chosen = sampler(settings)
    provider = TracerProvider(resource=resource, sampler=chosen, id_generator=ids)
    exporter = LoopSpanExporter(
        endpoint,
        timeout_s=settings.http_total_timeout_s,
        headers=export_headers(settings),
        max_queue=settings.otel_bsp_max_queue_size,
        max_batch=settings.otel_bsp_max_export_batch_size,
        delay_s=settings.otel_bsp_schedule_delay / 1000,
        gzip_body=compression == "gzip",
        ssl_context=context,
    )
    if registry is not None:
        registry.register(SpanExportCollector(exporter))
    provider.add_span_processor(exporter)
    continuing = ContinuingTracerProvider(provider)
    trace.set_tracer_provider(continuing)
    from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor

    AioHttpClientInstrumentor().instrument(tracer_provider=continuing)
    tracer = provider.get_tracer("fleetkit")
    return Tracing(tracer, server_spans(settings, tracer, ids, chosen), exporter)


def shutdown_tracing() -> None:
    provider = trace.get_tracer_provider()
    if isinstance(provider, ContinuingTracerProvider):
        provider.sdk.shutdown()
