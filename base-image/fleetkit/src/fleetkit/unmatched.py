"""Requests no route matched (404, 405, a bad Host): metered, rate limited and traced like the rest.

Litestar answers them before any route middleware runs, so the kit middleware never sees them:
a path scan would be unmetered, unlimited and untraced. They do reach the app-level exception
handlers (Litestar's documented place for the router's 404 and 405), so the kit wraps its
``HTTPException`` handler: a request with no ``route_handler`` in its scope never reached a
route, and gets the same treatment as a routed anonymous request. Its RED record and span use
the fixed route label ``unmatched`` (never the raw path, which a scanner chooses) and a method
from a fixed set, so neither can grow the metrics' cardinality.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from litestar import Request
from litestar import Response as LitestarResponse
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from fleetkit.problems import problem
from fleetkit.ratelimit import retry_after
from fleetkit.runtime import Runtime

__all__ = ["UNMATCHED_ROUTE", "unmatched_aware"]

UNMATCHED_ROUTE = "unmatched"
#: Methods kept as they are in labels; anything else a client invents is counted as ``OTHER``.
_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})
_PROPAGATOR = TraceContextTextMapPropagator()
_TRACE_HEADERS: frozenset[bytes] = frozenset({b"traceparent", b"tracestate"})

Handler = Callable[[Request[Any, Any, Any], Any], LitestarResponse[Any]]


def unmatched_aware(runtime: Runtime, routed: Handler) -> Handler:
    """Wrap the kit's HTTPException handler: requests that reached a route go to ``routed`` as before."""

    def handle(request: Request[Any, Any, Any], exc: Any) -> LitestarResponse[Any]:
        scope: Any = request.scope  # an ASGI dict: Litestar's type says the key is always there
        if "route_handler" in scope:
            return routed(request, exc)
        return _unmatched(runtime, request, exc, routed)

    return handle


def _unmatched(runtime: Runtime, request: Request[Any, Any, Any], exc: Any, routed: Handler) -> LitestarResponse[Any]:
    started = time.perf_counter()
    scope = request.scope
    raw_method = str(scope.get("method", ""))
    method = raw_method if raw_method in _METHODS else "OTHER"
    span = _span(runtime, scope, method)
    wait = runtime.limiter.take("a:" + runtime.clients.of(scope))
    response: LitestarResponse[Any]
    if wait:
        runtime.metrics.rate_limited.labels("default").inc()
        response = problem(
            429,
            "Too Many Requests",
            "Rate limit exceeded; retry after the given delay.",
            headers={"Retry-After": retry_after(wait)},
        )
    else:
        response = routed(request, exc)
    status = response.status_code or 500
    runtime.metrics.route(UNMATCHED_ROUTE, method).observe(status, time.perf_counter() - started)
    if span is not None:
        if span.is_recording():
            span.set_attributes({"http.request.method": method, "http.response.status_code": status})
        span.end()
    return response


def _span(runtime: Runtime, scope: Any, method: str) -> trace.Span | None:
    """A server span named by the method alone (the OpenTelemetry convention when no route matched)."""
    spans = runtime.server_spans
    if spans is None:
        return None
    carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"] if k in _TRACE_HEADERS}
    parent = _PROPAGATOR.extract(carrier) if carrier else None
    return spans.start(method, parent)
