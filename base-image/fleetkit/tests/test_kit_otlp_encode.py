"""fleetkit.otlp_encode writes the very message the SDK's OTLP encoder builds.

Each case makes real SDK spans (a TracerProvider, an in-memory exporter), encodes them with
both, parses ours with the official protobuf classes and compares the messages field by field.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, TraceFlags, TraceState

from fleetkit.otlp_encode import SpanEncoder

RESOURCE = Resource.create({"service.name": "avatars", "service.version": "1.2.3", "k8s.pod.name": "p-1"})
REMOTE = SpanContext(0xABCDEF, 0x1234, is_remote=True, trace_flags=TraceFlags(1), trace_state=TraceState([("v", "1")]))


def _spans(make: Callable[[TracerProvider], None]) -> tuple[ReadableSpan, ...]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=RESOURCE)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    make(provider)
    provider.shutdown()
    return exporter.get_finished_spans()


def _request_shape(provider: TracerProvider) -> None:
    http, db = provider.get_tracer("fleetkit"), provider.get_tracer("fleetkit.db", "0.1.0")
    with http.start_as_current_span("GET /v1/avatars/{avatar_id}", kind=trace.SpanKind.SERVER) as server:
        server.set_attributes(
            {"http.request.method": "GET", "http.route": "/v1/avatars/{avatar_id}", "http.response.status_code": 200}
        )
        db.start_span(
            "SELECT", kind=trace.SpanKind.CLIENT, attributes={"db.system": "postgresql", "server.port": 5432}
        ).end()


def _every_value_type(provider: TracerProvider) -> None:
    span = provider.get_tracer("t").start_span("values", kind=trace.SpanKind.INTERNAL)
    span.set_attributes(
        {
            "s": "text é ✓", "empty": "", "t": True, "f": False, "zero": 0, "neg": -42, "big": 2**62,
            "pi": 3.14159, "nzero": -0.0, "strs": ("a", "b"), "ints": [1, -2, 3], "floats": [0.5],
            "bools": [True, False], "nothing": [],
        }
    )  # fmt: skip
    span.end()


def _error_with_events_and_links(provider: TracerProvider) -> None:
    tracer = provider.get_tracer("t")
    span = tracer.start_span(
        "POST /v1/x",
        context=trace.set_span_in_context(NonRecordingSpan(REMOTE)),
        kind=trace.SpanKind.SERVER,
        links=[Link(SpanContext(0x77, 0x88, is_remote=False), {"why": "batch"}), Link(REMOTE)],
    )
    span.add_event("retry", {"attempt": 2})
    span.add_event("plain")
    span.set_status(trace.Status(trace.StatusCode.ERROR, "boom"))
    span.end()
    tracer.start_span("ok", kind=trace.SpanKind.PRODUCER).set_status(trace.StatusCode.OK)


def _kinds_and_scopes(provider: TracerProvider) -> None:
    for n, kind in enumerate(trace.SpanKind):
        provider.get_tracer(f"scope-{n % 2}", schema_url="https://opentelemetry.io/schemas/1.21.0").start_span(
            kind.name, kind=kind
        ).end()
    provider.get_tracer("scope-0", schema_url="https://opentelemetry.io/schemas/1.21.0").start_span("again").end()


@pytest.mark.parametrize(
    "make",
    [_request_shape, _every_value_type, _error_with_events_and_links, _kinds_and_scopes],
    ids=["request", "value-types", "error-events-links", "kinds-scopes"],
)
def test_our_bytes_parse_to_the_sdk_encoders_message(make: Callable[[TracerProvider], None]) -> None:
    spans = _spans(make)
    assert spans
    ours = ExportTraceServiceRequest.FromString(SpanEncoder().encode(spans))
    assert ours == encode_spans(spans)


def test_the_resource_is_encoded_once_and_reused() -> None:
    encoder = SpanEncoder()
    first = encoder.encode(_spans(_request_shape))
    again = encoder.encode(_spans(_request_shape))
    assert len(encoder._resources) == 1
    assert ExportTraceServiceRequest.FromString(first).resource_spans[0].resource == (
        ExportTraceServiceRequest.FromString(again).resource_spans[0].resource
    )


def test_an_empty_batch_is_an_empty_request() -> None:
    assert SpanEncoder().encode(()) == b""
    assert ExportTraceServiceRequest.FromString(b"") == encode_spans(())


@pytest.mark.parametrize("value", [2**63 - 1, -(2**63)])
def test_the_int64_extremes_are_encoded_as_the_sdk_encodes_them(value: int) -> None:
    spans = _spans(lambda p: p.get_tracer("t").start_span("edge", attributes={"n": value, "ns": [value, 1]}).end())
    assert ExportTraceServiceRequest.FromString(SpanEncoder().encode(spans)) == encode_spans(spans)


@pytest.mark.parametrize("value", [2**63, 2**64, 2**70, -(2**63) - 1, -(2**80)])
def test_an_integer_outside_int64_is_sent_as_its_decimal_string(value: int) -> None:
    """The SDK encoder cannot encode these ("Value out of range": it logs and leaves the attribute
    out); the specification's mapping to AnyValue says "string, decimal". Ours equals the SDK's
    encoding of that string, and the rest of the span is the SDK's own message."""

    def make(attribute: object) -> Callable[[TracerProvider], None]:
        return lambda p: p.get_tracer("t").start_span("big", attributes={"n": attribute, "ns": [attribute]}).end()

    spans = _spans(make(value))
    ours = ExportTraceServiceRequest.FromString(SpanEncoder().encode(spans))
    sdk = encode_spans(spans)
    assert not sdk.resource_spans[0].scope_spans[0].spans[0].attributes  # the SDK lost both
    expected = encode_spans(_spans(make(str(value)))).resource_spans[0].scope_spans[0].spans[0].attributes
    ours_span = ours.resource_spans[0].scope_spans[0].spans[0]
    assert list(ours_span.attributes) == list(expected)
    assert ours_span.attributes[0].value.string_value == str(value)
    del ours_span.attributes[:]
    assert ours == sdk
