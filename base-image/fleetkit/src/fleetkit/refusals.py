"""The kit middleware's refusals: status, problem+json body and headers, encoded once.

Each is a ready answer (``Refusal``) the middleware sends without entering Litestar:
``send_problem(send, *refusal)``.
"""

from __future__ import annotations

from typing import Any

import msgspec

from fleetkit.problems import PROBLEM_JSON, RETRY_AFTER_S, Problem

__all__ = [
    "INVALID",
    "KEYS_UNAVAILABLE",
    "MISSING",
    "OVERLOADED",
    "TWO_AUTHORIZATIONS",
    "UNSUPPORTED_MEDIA",
    "Refusal",
    "rate_limited",
    "send_problem",
]

#: A refusal: status, problem+json body, extra headers.
type Refusal = tuple[int, bytes, tuple[tuple[bytes, bytes], ...]]
_PROBLEM_HEADERS: tuple[tuple[bytes, bytes], ...] = ((b"content-type", PROBLEM_JSON.encode()),)
_UNAUTHORIZED = msgspec.json.encode(
    Problem(title="Unauthorized", status=401, detail="A valid bearer access token is required.")
)
_RATE_LIMITED = msgspec.json.encode(
    Problem(title="Too Many Requests", status=429, detail="Rate limit exceeded; retry after the given delay.")
)
KEYS_UNAVAILABLE: Refusal = (
    503,
    msgspec.json.encode(
        Problem(title="Service Unavailable", status=503, detail="Token keys are not available yet; retry later.")
    ),
    ((b"retry-after", b"5"),),
)
OVERLOADED: Refusal = (
    503,
    msgspec.json.encode(
        Problem(title="Service Unavailable", status=503, detail="The service is overloaded; retry later.")
    ),
    ((b"retry-after", RETRY_AFTER_S.encode()),),
)
UNSUPPORTED_MEDIA: Refusal = (
    415,
    msgspec.json.encode(
        Problem(title="Unsupported Media Type", status=415, detail="Send the request body as application/json.")
    ),
    (),
)
TWO_AUTHORIZATIONS: Refusal = (
    400,
    msgspec.json.encode(
        Problem(title="Bad Request", status=400, detail="Authorization: send exactly one Authorization header.")
    ),
    (),
)
MISSING: Refusal = (401, _UNAUTHORIZED, ((b"www-authenticate", b'Bearer realm="fleet"'),))
INVALID: Refusal = (401, _UNAUTHORIZED, ((b"www-authenticate", b'Bearer realm="fleet", error="invalid_token"'),))


def rate_limited(retry_after: str) -> Refusal:
    return (429, _RATE_LIMITED, ((b"retry-after", retry_after.encode()),))


async def send_problem(send: Any, status: int, body: bytes, extra: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    headers = [*_PROBLEM_HEADERS, (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
