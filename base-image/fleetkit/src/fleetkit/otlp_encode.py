"""OTLP/protobuf encoding of finished spans, written straight to bytes.

The SDK's encoder (``opentelemetry.exporter.otlp.proto.common``) builds a protobuf object per
span, attribute and value, and groups spans by hashing their ``Resource``, whose hash serialises
its attributes to JSON for every span. Under the benchmark that made exporting a sampled
request's two spans cost about 200 us of the event loop (docs/performance.md). This module
writes the same message (``ExportTraceServiceRequest``, opentelemetry-proto's trace schema)
with a few byte operations per field; the kit tests parse its output with the official
protobuf classes and compare it with the SDK encoder's, span shape by span shape.

Spans are grouped by resource object and by instrumentation scope (name, version, schema URL,
attributes); a resource's bytes are encoded once and cached.

OTLP integers are int64. Python's are not, and the SDK keeps an attribute of 2**63 as it is
(its encoder then fails the whole batch with "Value out of range"). Here an integer outside
[-2**63, 2**63 - 1] is sent as its decimal string, as the OpenTelemetry specification's mapping
of arbitrary data to AnyValue says (a double would silently lose digits).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

__all__ = ["SpanEncoder"]

_LEN, _VARINT, _FIXED64, _FIXED32 = 2, 0, 1, 5
_DOUBLE = struct.Struct("<d")
_U64 = struct.Struct("<Q")
_U32 = struct.Struct("<I")
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
#: Span.SpanKind in the proto is the SDK's SpanKind value plus one (0 is UNSPECIFIED there).
_KIND_OFFSET = 1
#: Span.flags: the "has is_remote" bit, and the "is_remote" bit for a remote parent.
_HAS_IS_REMOTE = 0x100
_IS_REMOTE = 0x200


def _varint(value: int) -> bytes:
    """A protobuf varint of a uint64 or (two's complement) int64; callers keep to that range."""
    if value < 0:
        value &= 0xFFFFFFFFFFFFFFFF  # int64 on the wire: two's complement, ten bytes
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint((field << 3) | wire)


def _bytes_field(field_key: bytes, payload: bytes) -> bytes:
    return field_key + _varint(len(payload)) + payload


_K = MappingProxyType({name: _key(number, wire) for name, number, wire in (
    ("value.string", 1, _LEN), ("value.bool", 2, _VARINT), ("value.int", 3, _VARINT),
    ("value.double", 4, _FIXED64), ("value.array", 5, _LEN), ("value.kvlist", 6, _LEN),
    ("value.bytes", 7, _LEN), ("list.values", 1, _LEN),
    ("kv.key", 1, _LEN), ("kv.value", 2, _LEN),
    ("span.trace_id", 1, _LEN), ("span.span_id", 2, _LEN), ("span.trace_state", 3, _LEN),
    ("span.parent", 4, _LEN), ("span.name", 5, _LEN), ("span.kind", 6, _VARINT),
    ("span.start", 7, _FIXED64), ("span.end", 8, _FIXED64), ("span.attributes", 9, _LEN),
    ("span.dropped_attributes", 10, _VARINT), ("span.events", 11, _LEN),
    ("span.dropped_events", 12, _VARINT), ("span.links", 13, _LEN), ("span.dropped_links", 14, _VARINT),
    ("span.status", 15, _LEN), ("span.flags", 16, _FIXED32),
    ("event.time", 1, _FIXED64), ("event.name", 2, _LEN), ("event.attributes", 3, _LEN),
    ("event.dropped", 4, _VARINT),
    ("link.trace_id", 1, _LEN), ("link.span_id", 2, _LEN), ("link.attributes", 4, _LEN),
    ("link.dropped", 5, _VARINT), ("link.flags", 6, _FIXED32),
    ("status.message", 2, _LEN), ("status.code", 3, _VARINT),
    ("scope.name", 1, _LEN), ("scope.version", 2, _LEN), ("scope.attributes", 3, _LEN),
    ("scope_spans.scope", 1, _LEN), ("scope_spans.spans", 2, _LEN), ("scope_spans.schema_url", 3, _LEN),
    ("resource.attributes", 1, _LEN),
    ("resource_spans.resource", 1, _LEN), ("resource_spans.scope_spans", 2, _LEN),
    ("resource_spans.schema_url", 3, _LEN), ("request.resource_spans", 1, _LEN),
)})  # fmt: skip


def _any_value(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bool):
        return _K["value.bool"] + (b"\x01" if value else b"\x00")
    if isinstance(value, str):
        return _bytes_field(_K["value.string"], value.encode())
    if isinstance(value, int):
        if _INT64_MIN <= value <= _INT64_MAX:
            return _K["value.int"] + _varint(value)
        return _bytes_field(_K["value.string"], str(value).encode())
    if isinstance(value, float):
        return _K["value.double"] + _DOUBLE.pack(value)
    if isinstance(value, bytes):
        return _bytes_field(_K["value.bytes"], value)
    if isinstance(value, Sequence):
        items = b"".join(_bytes_field(_K["list.values"], _any_value(v)) for v in value)
        return _bytes_field(_K["value.array"], items)
    if isinstance(value, Mapping):
        pairs = b"".join(_bytes_field(_K["list.values"], _key_value(str(k), v)) for k, v in value.items())
        return _bytes_field(_K["value.kvlist"], pairs)
    msg = f"an attribute value of type {type(value).__name__} cannot be encoded"
    raise TypeError(msg)


def _key_value(key: str, value: Any) -> bytes:
    return _bytes_field(_K["kv.key"], key.encode()) + _bytes_field(_K["kv.value"], _any_value(value))


def _attributes(field_key: bytes, attributes: Mapping[str, Any] | None) -> bytes:
    if not attributes:
        return b""
    return b"".join(_bytes_field(field_key, _key_value(k, v)) for k, v in attributes.items())


def _string(field_key: bytes, text: str | None) -> bytes:
    return _bytes_field(field_key, text.encode()) if text else b""


def _count(field_key: bytes, count: int) -> bytes:
    return field_key + _varint(count) if count else b""


def _span(span: ReadableSpan) -> bytes:
    context = span.get_span_context()
    if context is None:
        msg = "a finished span without a span context"
        raise ValueError(msg)
    parent = span.parent
    flags = _HAS_IS_REMOTE | (_IS_REMOTE if parent is not None and parent.is_remote else 0)
    status = span.status
    parts = [
        _bytes_field(_K["span.trace_id"], context.trace_id.to_bytes(16, "big")),
        _bytes_field(_K["span.span_id"], context.span_id.to_bytes(8, "big")),
        _string(_K["span.trace_state"], ",".join(f"{k}={v}" for k, v in context.trace_state.items())),
        _bytes_field(_K["span.parent"], parent.span_id.to_bytes(8, "big")) if parent else b"",
        _string(_K["span.name"], span.name),
        _K["span.kind"] + _varint(span.kind.value + _KIND_OFFSET),
        _K["span.start"] + _U64.pack(span.start_time or 0) if span.start_time else b"",
        _K["span.end"] + _U64.pack(span.end_time or 0) if span.end_time else b"",
        _attributes(_K["span.attributes"], span.attributes),
        _count(_K["span.dropped_attributes"], span.dropped_attributes),
    ]
    for event in span.events:
        body = (
            (_K["event.time"] + _U64.pack(event.timestamp) if event.timestamp else b"")
            + _string(_K["event.name"], event.name)
            + _attributes(_K["event.attributes"], event.attributes)
            + _count(_K["event.dropped"], event.dropped_attributes)
        )
        parts.append(_bytes_field(_K["span.events"], body))
    parts.append(_count(_K["span.dropped_events"], span.dropped_events))
    for link in span.links:
        link_flags = _HAS_IS_REMOTE | (_IS_REMOTE if link.context.is_remote else 0)
        body = (
            _bytes_field(_K["link.trace_id"], link.context.trace_id.to_bytes(16, "big"))
            + _bytes_field(_K["link.span_id"], link.context.span_id.to_bytes(8, "big"))
            + _attributes(_K["link.attributes"], link.attributes)
            + _count(_K["link.dropped"], link.dropped_attributes)
            + _K["link.flags"]
            + _U32.pack(link_flags)
        )
        parts.append(_bytes_field(_K["span.links"], body))
    parts.append(_count(_K["span.dropped_links"], span.dropped_links))
    status_body = _string(_K["status.message"], status.description) + _count(
        _K["status.code"], status.status_code.value
    )
    parts.append(_bytes_field(_K["span.status"], status_body))
    parts.append(_K["span.flags"] + _U32.pack(flags))
    return b"".join(parts)


def _scope(scope: InstrumentationScope | None) -> bytes:
    if scope is None:
        return b""
    return (
        _string(_K["scope.name"], scope.name)
        + _string(_K["scope.version"], scope.version)
        + _attributes(_K["scope.attributes"], scope.attributes)
    )


def _scope_key(scope: InstrumentationScope | None) -> tuple[Any, ...]:
    if scope is None:
        return ()
    attributes = tuple(sorted((scope.attributes or {}).items()))
    return (scope.name, scope.version, scope.schema_url, attributes)


class SpanEncoder:
    """Encodes batches of finished spans; caches each resource's bytes (one per provider)."""

    __slots__ = ("_resources",)

    def __init__(self) -> None:
        self._resources: dict[int, tuple[Resource, bytes]] = {}

    def _resource(self, resource: Resource) -> bytes:
        cached = self._resources.get(id(resource))
        if cached is None or cached[0] is not resource:
            cached = (resource, _attributes(_K["resource.attributes"], resource.attributes))
            self._resources[id(resource)] = cached
        return cached[1]

    def encode(self, spans: Sequence[ReadableSpan]) -> bytes:
        """An ``ExportTraceServiceRequest`` holding ``spans``."""
        grouped: dict[int, tuple[Resource, dict[tuple[Any, ...], tuple[InstrumentationScope | None, list[bytes]]]]] = {}
        for span in spans:
            resource = span.resource
            by_scope = grouped.setdefault(id(resource), (resource, {}))[1]
            scope = span.instrumentation_scope
            by_scope.setdefault(_scope_key(scope), (scope, []))[1].append(_span(span))
        out = []
        for resource, by_scope in grouped.values():
            scope_spans = []
            for scope, encoded in by_scope.values():
                body = _bytes_field(_K["scope_spans.scope"], _scope(scope))
                body += b"".join(_bytes_field(_K["scope_spans.spans"], s) for s in encoded)
                body += _string(_K["scope_spans.schema_url"], scope.schema_url if scope else None)
                scope_spans.append(_bytes_field(_K["resource_spans.scope_spans"], body))
            resource_spans = (
                _bytes_field(_K["resource_spans.resource"], self._resource(resource))
                + b"".join(scope_spans)
                + _string(_K["resource_spans.schema_url"], resource.schema_url)
            )
            out.append(_bytes_field(_K["request.resource_spans"], resource_spans))
        return b"".join(out)
