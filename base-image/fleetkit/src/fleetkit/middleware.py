"""The kit's one middleware: tracing, authentication, rate limiting and RED metrics per route.

Litestar's stock middlewares each cost a large share of a small endpoint's budget (see DESIGN
§4). This one does all four in a single pass over the headers: a verified token is a dict hit,
a rate-limit decision is a few float operations, metric children are resolved once per
route/status and cached, and spans are built only for sampled requests.

Route options (``opt`` on a Litestar route handler):

- ``public=True``: no bearer token required (the service must list the route in its
  ``PUBLIC_ROUTES``); a valid token, when sent, is still verified and attached.
- ``rate_limit``: ``"default"``, ``"strict"`` (credential endpoints: keyed by client address) or
  ``"off"`` (health and metrics only, which probes and scrapers call).
"""

from __future__ import annotations

import time
from typing import Any

import msgspec
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from fleetkit.auth import AuthFailure, Caller
from fleetkit.logging import get_logger
from fleetkit.problems import PROBLEM_JSON, Problem
from fleetkit.ratelimit import retry_after
from fleetkit.runtime import Runtime

__all__ = ["KitMiddleware", "RouteSpec"]

log = get_logger("fleetkit.http")
_PROPAGATOR = TraceContextTextMapPropagator()
_STATUS_CLASS: tuple[str, ...] = ("1xx", "2xx", "3xx", "4xx", "5xx")
_PROBLEM_HEADERS: tuple[tuple[bytes, bytes], ...] = ((b"content-type", PROBLEM_JSON.encode()),)
_UNAUTHORIZED = msgspec.json.encode(
    Problem(title="Unauthorized", status=401, detail="A valid bearer access token is required.")
)
_KEYS_UNAVAILABLE = msgspec.json.encode(
    Problem(
        title="Service Unavailable",
        status=503,
        detail="Token keys are not available yet; retry later.",
    )
)
_RATE_LIMITED = msgspec.json.encode(
    Problem(
        title="Too Many Requests",
        status=429,
        detail="Rate limit exceeded; retry after the given delay.",
    )
)


class RouteSpec:
    """A route handler's options, resolved once per handler."""

    __slots__ = ("children", "public", "rate_limit", "template")

    def __init__(self, template: str, public: bool, rate_limit: str) -> None:
        self.template = template
        self.public = public
        self.rate_limit = rate_limit
        self.children: dict[tuple[str, int], tuple[Any, Any]] = {}


async def _send_problem(send: Any, status: int, body: bytes, extra: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    headers = [*_PROBLEM_HEADERS, (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class KitMiddleware:
    __slots__ = ("app", "rt", "specs")

    def __init__(self, app: Any, runtime: Runtime) -> None:
        self.app = app
        self.rt = runtime
        self.specs: dict[int, RouteSpec] = {}

    def _spec(self, scope: Any) -> RouteSpec:
        handler = scope["route_handler"]
        spec = self.specs.get(id(handler))
        if spec is None:
            opt = handler.opt
            spec = RouteSpec(
                scope.get("path_template", scope["path"]),
                bool(opt.get("public")),
                opt.get("rate_limit", "default"),
            )
            self.specs[id(handler)] = spec
        return spec

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rt = self.rt
        spec = self._spec(scope)
        started = time.perf_counter()
        rt.in_flight += 1
        status = 500
        token = None
        client = scope["client"][0] if scope.get("client") else "-"
        for name, value in scope["headers"]:
            if name == b"authorization" and value[:7].lower() == b"bearer ":
                token = value[7:].decode("latin-1").strip()
        tracer = rt.tracer
        span = None
        ctx_token = None
        if tracer is not None:
            carrier = {
                k.decode("latin-1"): v.decode("latin-1")
                for k, v in scope["headers"]
                if k in (b"traceparent", b"tracestate")
            }
            span = tracer.start_span(
                f"{scope['method']} {spec.template}",
                context=_PROPAGATOR.extract(carrier),
                kind=trace.SpanKind.SERVER,
            )
            ctx_token = otel_context.attach(trace.set_span_in_context(span))

        async def send_wrapper(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            status = await self._guard(scope, spec, token, client, send)
            if status == 0:
                await self.app(scope, receive, send_wrapper)
        finally:
            rt.in_flight -= 1
            elapsed = time.perf_counter() - started
            key = (scope["method"], status)
            children = spec.children.get(key)
            if children is None:
                children = (
                    rt.metrics.requests.labels(spec.template, scope["method"], _STATUS_CLASS[status // 100 - 1]),
                    rt.metrics.duration.labels(spec.template, scope["method"]),
                )
                spec.children[key] = children
            children[0].inc()
            children[1].observe(elapsed)
            if status >= 500:
                log.error("request_failed", method=scope["method"], route=spec.template, status=status)
            else:
                # One line per request at debug level; a no-op call at the default info level. With
                # LOG_LEVEL=debug every request leaves a line that joins its trace (trace_id, span_id).
                log.debug("request_finished", method=scope["method"], route=spec.template, status=status)
            if span is not None and ctx_token is not None:
                if span.is_recording():
                    span.set_attribute("http.request.method", scope["method"])
                    span.set_attribute("http.route", spec.template)
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(trace.StatusCode.ERROR)
                span.end()
                otel_context.detach(ctx_token)

    async def _guard(self, scope: Any, spec: RouteSpec, token: str | None, client: str, send: Any) -> int:
        """Authenticate and rate-limit; 0 to proceed, else the status already sent."""
        rt = self.rt
        caller: Caller | AuthFailure | None = None
        if token is not None and rt.verifier is not None:
            caller = await rt.verifier.verify(token)
        if isinstance(caller, Caller):
            scope["user"] = caller
        elif not spec.public:
            reason = caller if caller is not None else AuthFailure.MISSING
            rt.metrics.auth_failures.labels(reason.value).inc()
            if reason is AuthFailure.KEYS_UNAVAILABLE:
                await _send_problem(send, 503, _KEYS_UNAVAILABLE, ((b"retry-after", b"5"),))
                return 503
            challenge = (
                b'Bearer realm="fleet"'
                if reason is AuthFailure.MISSING
                else b'Bearer realm="fleet", error="invalid_token"'
            )
            await _send_problem(send, 401, _UNAUTHORIZED, ((b"www-authenticate", challenge),))
            return 401
        if spec.rate_limit == "off":
            return 0
        if spec.rate_limit == "strict":
            wait = rt.strict_limiter.take(client)
        else:
            wait = rt.limiter.take(f"u:{caller.user_id}" if isinstance(caller, Caller) else f"a:{client}")
        if wait:
            rt.metrics.rate_limited.labels(spec.rate_limit).inc()
            await _send_problem(send, 429, _RATE_LIMITED, ((b"retry-after", retry_after(wait).encode()),))
            return 429
        return 0
