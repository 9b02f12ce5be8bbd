"""An unsampled request's trace, kept out of OpenTelemetry's context until something needs it.

Most requests are not sampled (nine in ten at the default ratio). Their trace still matters in
two places: a call to another service must carry ``traceparent`` with the sampled flag off, so
that service drops the trace too, and a log line names its trace. Neither happens on most
requests, so the kit middleware only puts the trace id (and the caller's trace state) in a context
variable of its own, a C-level set and reset, and the span context, its span id included, is
made the first time one of the two asks:

- spans started through :class:`ContinuingTracerProvider` (the global provider the kit installs,
  which the aiohttp client instrumentation uses) take the unsampled request's span as their
  parent when no span is current, exactly the parent they had when the kit attached it;
- ``fleetkit.telemetry.add_trace_ids`` puts its ids on the request's log lines.

Sampled requests do not come here: their SDK span is attached as OpenTelemetry's current span.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any, override

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.util.types import Attributes

__all__ = ["ContinuingTracerProvider", "UnsampledTrace", "current", "enter", "leave"]

_UNSAMPLED = trace.TraceFlags(trace.TraceFlags.DEFAULT)
#: The unsampled request being served by this task, if any (tasks inherit it like any context).
_CURRENT: ContextVar[UnsampledTrace | None] = ContextVar("fleetkit_unsampled_trace", default=None)


class UnsampledTrace:
    """The trace of a request the sampler dropped: its id and state; its span only on demand."""

    __slots__ = ("_ids", "_span", "trace_id", "trace_state")

    def __init__(self, trace_id: int, ids: IdGenerator, trace_state: trace.TraceState | None) -> None:
        self.trace_id = trace_id
        self.trace_state = trace_state
        self._ids = ids
        self._span: trace.Span | None = None

    def span(self) -> trace.Span:
        """What the SDK returns for a dropped span: non-recording, a fresh span id, the caller's state.

        Made once: every log line and downstream call of the request names the same span.
        """
        if self._span is None:
            context = trace.SpanContext(
                self.trace_id,
                self._ids.generate_span_id(),
                is_remote=False,
                trace_flags=_UNSAMPLED,
                trace_state=self.trace_state,
            )
            self._span = trace.NonRecordingSpan(context)
        return self._span


def enter(unsampled: UnsampledTrace) -> Token[UnsampledTrace | None]:
    return _CURRENT.set(unsampled)


def leave(token: Token[UnsampledTrace | None]) -> None:
    _CURRENT.reset(token)


def current() -> UnsampledTrace | None:
    """The unsampled request this code runs for, unless a span is current (that one wins)."""
    unsampled = _CURRENT.get()
    if unsampled is None or trace.get_current_span().get_span_context().is_valid:
        return None
    return unsampled


def _parent(context: Context | None) -> Context | None:
    if context is not None:
        return context
    unsampled = current()
    return None if unsampled is None else trace.set_span_in_context(unsampled.span())


class _ContinuingTracer(trace.Tracer):
    """The SDK's tracer, with the unsampled request's span as the default parent."""

    __slots__ = ("_tracer",)

    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer

    @override
    def start_span(
        self,
        name: str,
        context: Context | None = None,
        kind: trace.SpanKind = trace.SpanKind.INTERNAL,
        attributes: Attributes = None,
        links: Sequence[trace.Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> trace.Span:
        return self._tracer.start_span(
            name, _parent(context), kind, attributes, links, start_time, record_exception, set_status_on_exception
        )

    @override
    @contextmanager
    def start_as_current_span(  # type: ignore[override]  # the ABC names a private context manager type
        self,
        name: str,
        context: Context | None = None,
        kind: trace.SpanKind = trace.SpanKind.INTERNAL,
        attributes: Attributes = None,
        links: Sequence[trace.Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
        end_on_exit: bool = True,
    ) -> Iterator[trace.Span]:
        with self._tracer.start_as_current_span(
            name,
            _parent(context),
            kind,
            attributes,
            links,
            start_time,
            record_exception,
            set_status_on_exception,
            end_on_exit,
        ) as span:
            yield span


class ContinuingTracerProvider(trace.TracerProvider):
    """The SDK provider, whose tracers continue an unsampled request's trace (see the module)."""

    __slots__ = ("sdk",)

    def __init__(self, sdk: TracerProvider) -> None:
        self.sdk = sdk

    @override
    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> trace.Tracer:
        return _ContinuingTracer(
            self.sdk.get_tracer(instrumenting_module_name, instrumenting_library_version, schema_url, attributes)
        )
