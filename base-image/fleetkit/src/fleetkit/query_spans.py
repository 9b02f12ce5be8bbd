"""Query spans: the pool's connection class, one CLIENT span per query under a sampled request.

The lifespan plugs it into the pool (``open_pool(connection_class=...)``), so ``fleetkit.db``
itself imports no tracing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar
from urllib.parse import urlsplit

import asyncpg
from opentelemetry import trace

__all__ = ["TracedConnection", "connection_class"]


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
    wrapt layer to each call, a noticeable share of the benchmark's one-query GET
    (docs/performance.md). Here an unsampled request pays one context lookup per query.
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
