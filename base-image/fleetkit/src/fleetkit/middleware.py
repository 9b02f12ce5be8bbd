"""The kit's one middleware: tracing, authentication, rate limiting and RED metrics per route.

Litestar's stock middlewares each cost a large share of a small endpoint's budget
(docs/performance.md). This one does all four in a single pass over the headers: a verified token is a dict hit
(no coroutine unless the token is new), a rate-limit decision is a few float operations, the
RED record of a route/method is resolved once and bumped with plain integer additions, and the
W3C propagator only runs when the request carries trace headers. What each step costs per
request, and what the profile showed, is in docs/performance.md.

Who may call a route and how it is limited is the route's ``fleetkit.policy.RoutePolicy``, read
once per route handler.
"""

from __future__ import annotations

import time
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from fleetkit import refusals, unsampled
from fleetkit.auth import AuthFailure, Caller
from fleetkit.logging import get_logger
from fleetkit.metrics import RouteRed
from fleetkit.policy import PROBE, RateClass, RoutePolicy, policy_of
from fleetkit.ratelimit import retry_after
from fleetkit.refusals import Refusal
from fleetkit.runtime import Runtime
from fleetkit.shedding import SHED_SCOPE_KEY

__all__ = ["KitMiddleware", "RouteSpec"]

log = get_logger("fleetkit.http")
_PROPAGATOR = TraceContextTextMapPropagator()
_TRACE_HEADERS: frozenset[bytes] = frozenset({b"traceparent", b"tracestate"})
#: The request's span (or its unsampled trace) and the token that takes it off the context.
_Span = tuple[trace.Span | unsampled.UnsampledTrace, object]
#: Every request body in the fleet is JSON; Litestar would parse JSON sent under any media type.
_BODY_METHODS: frozenset[str] = frozenset({"POST", "PUT", "PATCH"})
#: What ``_scan_headers`` returns as the token when the request has two Authorization headers.
_TWO_AUTHORIZATIONS = "two Authorization headers"


def _scan_headers(headers: Any) -> tuple[str | None, bool, bytes | None]:
    """One pass over the headers: the bearer token, whether a trace context came, the body's media type.

    The media type is None when there is no body to check, and ``b""`` for a body sent with no
    Content-Type at all (refused like a wrong one). Two Authorization headers give the token
    ``_TWO_AUTHORIZATIONS``: which one a proxy or framework would pick is not something to guess.
    """
    token = None
    authorizations = 0
    traced = False
    content_type = None
    has_body = False  # a body comes with a non-zero Content-Length or with Transfer-Encoding
    for name, value in headers:
        if name == b"authorization":
            authorizations += 1
            if value[:7].lower() == b"bearer ":
                token = value[7:].decode("latin-1").strip()
        elif name in _TRACE_HEADERS:
            traced = True
        elif name == b"content-type":
            content_type = value
        elif name == b"content-length":
            has_body = value.strip() != b"0"
        elif name == b"transfer-encoding":
            has_body = True
    if authorizations > 1:
        token = _TWO_AUTHORIZATIONS
    if not has_body:
        return token, traced, None
    return token, traced, content_type if content_type is not None else b""


def _is_json(content_type: bytes) -> bool:
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or media.endswith(b"+json")


class RouteSpec:
    """A route handler's policy, resolved once per handler, with its per-method RED records
    and span names (a handler may serve several methods)."""

    __slots__ = ("probe", "public", "rate", "red", "span_names", "template")

    def __init__(self, template: str, policy: RoutePolicy) -> None:
        self.template = template
        self.public = policy.public
        self.rate = policy.rate
        self.probe = policy == PROBE
        self.red: dict[str, RouteRed] = {}
        self.span_names: dict[str, str] = {}

    def new_red(self, method: str, runtime: Runtime) -> RouteRed:
        red = self.red[method] = runtime.metrics.route(self.template, method)
        return red


class KitMiddleware:
    __slots__ = ("app", "debug", "gate", "rt", "specs")

    def __init__(self, app: Any, runtime: Runtime) -> None:
        self.app = app
        self.debug = runtime.settings.log_level == "debug"
        self.rt = runtime
        self.specs: dict[int, RouteSpec] = {}
        # Probes and /metrics bypass the worker's admission gate (rate class off).
        self.gate = runtime.gate

    def _spec(self, scope: Any) -> RouteSpec:
        handler = scope["route_handler"]
        spec = self.specs.get(id(handler))
        if spec is None:
            template = scope.get("path_template", scope["path"])
            spec = RouteSpec(template, policy_of(handler.opt, template))
            self.specs[id(handler)] = spec
        return spec

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await _refuse_unprotected(scope, receive, send)
            return
        rt = self.rt
        spec = self.specs.get(id(scope["route_handler"])) or self._spec(scope)
        method: str = scope["method"]
        started = time.perf_counter()
        rt.in_flight += 1
        status = 500
        token, traced, content_type = _scan_headers(scope["headers"])
        span = self._start_span(scope, spec, method, traced) if rt.server_spans is not None else None

        async def send_wrapper(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            # A token not verified before costs a signature check: the client's address pays for
            # it first, so a flood of junk tokens is answered 429 before any verification work.
            caller: Caller | AuthFailure | None = None
            charged = False
            refusal = None
            verifier = rt.verifier
            if token is not None and verifier is not None and token is not _TWO_AUTHORIZATIONS:
                caller = verifier.cached(token)
                if caller is None and not (spec.public and spec.rate is RateClass.OFF):  # probes need no caller
                    refusal = self._limit(scope, spec.rate, None)
                    charged = True
                    if refusal is None:
                        rt.metrics.token_verifications.inc()
                        caller = await verifier.verify(token)
            if refusal is None:
                refusal = self._admit(scope, spec, token, caller, content_type=content_type, charged=charged)
            if refusal is None and spec.rate is RateClass.OFF:
                await self.app(scope, receive, send_wrapper)
            elif refusal is None and await self.gate.enter():
                try:
                    await self.app(scope, receive, send_wrapper)
                finally:
                    self.gate.leave()
            elif refusal is None:
                status = 503
                scope[SHED_SCOPE_KEY] = True
                await refusals.send_problem(send, *refusals.OVERLOADED)
            else:
                status = refusal[0]
                await refusals.send_problem(send, *refusal)
        finally:
            rt.in_flight -= 1
            self._finish(scope, spec, status, time.perf_counter() - started, span)

    def _finish(self, scope: Any, spec: RouteSpec, status: int, elapsed: float, span: _Span | None) -> None:
        """RED metrics, the error (or debug) log line, and the span's end.

        Two 5xx are not failures: a request shed at capacity (counted, logged at most once per
        interval: fleetkit.shedding), and a probe's 503 (starting, draining or not ready, which is
        what the probe is for).
        """
        method: str = scope["method"]
        (spec.red.get(method) or spec.new_red(method, self.rt)).observe(status, elapsed)
        if status >= 500 and scope.get(SHED_SCOPE_KEY):
            self.rt.shedding.shed(spec.template)
        elif status >= 500 and not (status == 503 and spec.probe):
            log.error("request_failed", method=method, route=spec.template, status=status)
        elif self.debug:
            # One line per request at debug level (not even a call otherwise). With LOG_LEVEL=debug
            # every request leaves a line that joins its trace (trace_id, span_id).
            log.debug("request_finished", method=method, route=spec.template, status=status)
        if span is not None:
            _end_span(span, method, spec.template, status)

    def _start_span(self, scope: Any, spec: RouteSpec, method: str, traced: bool) -> _Span:
        """Start the request's server span and make it current; an unsampled request's trace only
        goes in the kit's context variable (``fleetkit.unsampled``)."""
        parent = None
        if traced:
            carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"] if k in _TRACE_HEADERS}
            parent = _PROPAGATOR.extract(carrier)
        name = spec.span_names.get(method)
        if name is None:
            name = spec.span_names[method] = f"{method} {spec.template}"
        span = self.rt.server_spans.begin(name, parent)  # type: ignore[union-attr]
        if isinstance(span, unsampled.UnsampledTrace):
            return span, unsampled.enter(span)
        return span, otel_context.attach(trace.set_span_in_context(span))

    def _admit(
        self,
        scope: Any,
        spec: RouteSpec,
        token: str | None,
        caller: Caller | AuthFailure | None,
        *,
        content_type: bytes | None,
        charged: bool,
    ) -> Refusal | None:
        """Rate-limit, authenticate and check the body's media type: None to proceed, else the problem.

        Every request spends a token of the limiter before it can be refused for anything else,
        so failed authentication counts against the caller: a verified caller's own bucket on
        default routes, else the client address's. A request whose new token was charged to the
        address (``charged``) before verification is charged again only to a valid token's user.
        """
        rt = self.rt
        rate = spec.rate
        if isinstance(caller, Caller):
            scope["user"] = caller
            if rate is RateClass.DEFAULT or not charged:
                refusal = self._limit(scope, rate, caller)
                if refusal is not None:
                    return refusal
        elif not charged:
            refusal = self._limit(scope, rate, None)
            if refusal is not None:
                return refusal
        if token is _TWO_AUTHORIZATIONS:
            return refusals.TWO_AUTHORIZATIONS
        if not spec.public and not isinstance(caller, Caller):
            reason = caller if caller is not None else AuthFailure.MISSING
            rt.metrics.auth_failures.labels(reason.value).inc()
            if reason is AuthFailure.KEYS_UNAVAILABLE:
                return refusals.KEYS_UNAVAILABLE
            return refusals.MISSING if reason is AuthFailure.MISSING else refusals.INVALID
        if content_type is not None and scope["method"] in _BODY_METHODS and not _is_json(content_type):
            return refusals.UNSUPPORTED_MEDIA
        return None

    def _limit(self, scope: Any, rate: RateClass, caller: Caller | None) -> Refusal | None:
        """Take one token: the user's on default routes with a verified caller, else the address's."""
        rt = self.rt
        if rate is RateClass.OFF:
            return None
        if rate is RateClass.STRICT:
            wait = rt.strict_limiter.take(rt.clients.of(scope))
        elif caller is not None:
            wait = rt.limiter.take(caller.user_id)
        else:
            wait = rt.limiter.take("a:" + rt.clients.of(scope))
        if wait:
            rt.metrics.rate_limited.labels(rate.value).inc()
            return refusals.rate_limited(retry_after(wait))
        return None


async def _refuse_unprotected(scope: Any, receive: Any, send: Any) -> None:
    """A WebSocket (or any non-HTTP scope) is refused: the kit cannot authenticate, limit or meter it.

    Closing before accepting makes the server answer the handshake with 403. Other scope kinds
    get no answer at all (the lifespan never reaches a route's middleware).
    """
    if scope["type"] == "websocket":
        message = await receive()
        if message.get("type") == "websocket.connect":
            await send({"type": "websocket.close", "code": 1008, "reason": "not served by this service"})
    log.warning("unprotected_scope_refused", scope_type=str(scope["type"])[:32])


def _end_span(started: _Span, method: str, template: str, status: int) -> None:
    span, ctx_token = started
    if isinstance(span, unsampled.UnsampledTrace):
        unsampled.leave(ctx_token)  # type: ignore[arg-type]
        return
    if span.is_recording():
        span.set_attributes(
            {"http.request.method": method, "http.route": template, "http.response.status_code": status}
        )
        if status >= 500:
            span.set_status(trace.StatusCode.ERROR)
    span.end()
    otel_context.detach(ctx_token)  # type: ignore[arg-type]
