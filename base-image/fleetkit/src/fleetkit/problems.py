"""RFC 9457 problem details: every error response in the fleet is ``application/problem+json``.

Routers build expected-outcome problems with :func:`problem` (not found, conflict, precondition
failed: values, not exceptions). The exception handlers here cover faults only: request
validation (4xx naming the fields), dependency faults (503 with Retry-After) and anything else
(500 with no internals, logged with the exception).
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Annotated, Any

import asyncpg
import msgspec
from litestar import Request
from litestar.enums import ParamType
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import ExceptionHandlersMap

from fleetkit.faults import CapacityExhausted, DependencyUnavailable
from fleetkit.logging import get_logger
from fleetkit.methods import allow_header
from fleetkit.responses import Response
from fleetkit.shedding import SHED_SCOPE_KEY

__all__ = [
    "PROBLEM_JSON",
    "CapacityExhausted",
    "DependencyUnavailable",
    "FieldError",
    "Problem",
    "exception_handlers",
    "problem",
    "problem_spec",
]

PROBLEM_JSON = "application/problem+json"
log = get_logger("fleetkit.problems")

#: Faults that mean "a dependency is unavailable right now": the client should retry later.
DEPENDENCY_FAULTS: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.QueryCanceledError,
    asyncpg.AdminShutdownError,
    asyncpg.OperatorInterventionError,
    asyncpg.ConnectionFailureError,
    # asyncpg raises this from its connection's bookkeeping when a backend dies mid-request
    # (seen under pg_terminate_backend in tests/reliability): the database, not the request.
    asyncpg.InternalClientError,
    ConnectionError,
    TimeoutError,
)
RETRY_AFTER_S = "2"
#: Request headers that make a request conditional: a route that requires one answers 428 without it.
CONDITIONAL_HEADERS = frozenset({"if-match", "if-unmodified-since"})
#: Text PostgreSQL cannot store (U+0000, say): bad input from the client, not a fault.
UNSTORABLE_TEXT: tuple[type[Exception], ...] = (
    asyncpg.CharacterNotInRepertoireError,
    asyncpg.UntranslatableCharacterError,
)


class FieldError(msgspec.Struct, frozen=True):
    field: str
    message: str
    source: str = "body"


class Problem(msgspec.Struct, frozen=True, omit_defaults=True):
    title: str
    status: Annotated[int, msgspec.Meta(ge=400, le=599)]
    type: str = "about:blank"
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    errors: list[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[Any]:
    """A problem+json response; routers return these for expected failures.

    Typed ``Response[Any]`` so a router annotated with its success type (which is what the
    OpenAPI document shows) can return it; the error shapes are documented with ``problem_spec``.
    """
    return Response(
        Problem(title=title, status=status, detail=detail, errors=errors),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=dict(headers) if headers else None,
    )


def problem_spec(description: str) -> ResponseSpec:
    """OpenAPI response entry for a documented problem."""
    return ResponseSpec(data_container=Problem, description=description, media_type=PROBLEM_JSON)


def _wire_name(request: Request[Any, Any, Any], key: str) -> str:
    """The name a client sent (``Idempotency-Key``), not the Python parameter (``idempotency_key``)."""
    handler = request.scope.get("route_handler")
    parameter = handler.parsed_fn_signature.parameters.get(key) if handler is not None else None
    definition = getattr(parameter, "kwarg_definition", None)
    return str(getattr(definition, "header", None) or getattr(definition, "query", None) or key)


def _field_errors(request: Request[Any, Any, Any], extra: Any) -> list[FieldError]:
    if not isinstance(extra, list):
        return []
    errors = []
    for item in extra:
        if isinstance(item, dict):
            source = item.get("source") or "body"
            source = str(getattr(source, "value", source))
            key = str(item.get("key") or "body")
            errors.append(
                FieldError(
                    field=key if source == "body" else _wire_name(request, key),
                    message=str(item.get("message", "invalid")),
                    source=source,
                )
            )
    return errors


def _missing_precondition(request: Request[Any, Any, Any]) -> str | None:
    handler: Any = request.scope.get("route_handler")
    handler = request.scope.get("route_handler")
    if handler is None:
        return None
    for parameter in handler.parsed_fn_signature.parameters.values():
        definition = getattr(parameter, "kwarg_definition", None)
        if getattr(definition, "param_type", None) != ParamType.HEADER:
            continue
        header = definition.header or definition.name  # type: ignore[union-attr]
        if (
            isinstance(header, str)
            and header.lower() in CONDITIONAL_HEADERS
            and not parameter.has_default
            and header not in request.headers
        ):
            return header
    return None


def _validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Problem]:
    missing = _missing_precondition(request)
    if missing is not None:  # RFC 6585: the route only acts on a conditional request
        detail = f"Send {missing} with the ETag you read, so concurrent changes are not lost."
        errors = [FieldError(missing, "required", source="header")]
        return problem(428, "Precondition Required", detail, errors=errors)
    errors = _field_errors(request, exc.extra)
    names = ", ".join(sorted({e.field for e in errors})) or "body"
    detail = f"Invalid or missing: {names}. " + "; ".join(f"{e.field}: {e.message}" for e in errors)
    return problem(exc.status_code, "Request validation failed", detail.strip(), errors=errors or None)


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    if isinstance(exc, ValidationException) or (exc.status_code == 400 and exc.extra):
        return _validation(request, ValidationException(detail=exc.detail, extra=exc.extra))
    status = exc.status_code
    title = _title(status)
    detail = exc.detail if exc.detail and exc.detail != title else None
    if status >= 500:
        detail = None
    headers = dict(exc.headers or {})
    if status == 413:
        detail = "The request body is larger than this service accepts."
        # Refused before the body was read: the server drops the connection after answering,
        # so it says so, and a keep-alive client opens a new one for its next request.
        headers["Connection"] = "close"
    elif status == 405:
        allow = headers.pop("allow", None) or headers.pop("Allow", None)
        if allow:
            headers["Allow"] = allow_header({m.strip() for m in allow.split(",") if m.strip()})
    return problem(status, title, detail, headers=headers or None)


def _capacity(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    request.scope[SHED_SCOPE_KEY] = True  # type: ignore[literal-required]  # counted by the kit middleware
    return problem(
        503,
        "Service Unavailable",
        "The service is at capacity; retry later.",
        headers={"Retry-After": RETRY_AFTER_S},
    )


def _dependency(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    log.warning("dependency_unavailable", error=type(exc).__name__, path=request.url.path)
    return problem(
        503,
        "Service Unavailable",
        "A dependency is unavailable; retry later.",
        headers={"Retry-After": RETRY_AFTER_S},
    )


def _unstorable(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    return problem(
        400, "Request validation failed", "A text field contains a character that cannot be stored (U+0000)."
    )


def _too_deep(request: Request[Any, Any, Any], exc: RecursionError) -> Response[Problem]:
    """msgspec refuses absurdly nested JSON by recursing until Python stops it: that is bad input."""
    return problem(400, "Bad Request", "The request body is nested too deeply.")


def _internal(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    if isinstance(exc, (*DEPENDENCY_FAULTS, OSError)):
        return _dependency(request, exc)
    log.error("unhandled_error", error=type(exc).__name__, path=request.url.path, exc_info=exc)
    return problem(500, "Internal Server Error")


_KNOWN_STATUSES: frozenset[int] = frozenset(s.value for s in HTTPStatus)


def _title(status: int) -> str:
    known = status in _KNOWN_STATUSES
    return HTTPStatus(status).phrase if known else "Error"


def exception_handlers() -> ExceptionHandlersMap:
    """The kit's exception handlers, by exception type (Litestar's own map type)."""
    handlers: ExceptionHandlersMap = {
        HTTPException: _http,
        ValidationException: _validation,
        DependencyUnavailable: _dependency,
        CapacityExhausted: _capacity,
        RecursionError: _too_deep,
        Exception: _internal,
    }
    for fault in DEPENDENCY_FAULTS:
        handlers[fault] = _dependency
    for fault in UNSTORABLE_TEXT:
        handlers[fault] = _unstorable
    return handlers
