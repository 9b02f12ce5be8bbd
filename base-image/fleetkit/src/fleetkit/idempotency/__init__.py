"""Idempotency-Key for the POSTs that create (draft-ietf-httpapi-idempotency-key-header).

The first request with a key claims it and its successful (2xx) response is stored, keyed by
(owner, key) with a fingerprint of the request (method, path and canonical body). A retry with
the same key and request gets the stored status, headers and body byte for byte; the same key
with a different request gets 422; a retry while the first is still running gets 409. Failed
answers (4xx, faults) release the key, so a corrected request can reuse it. Keys are per
caller: one caller's key never collides with another's.

A service that uses it creates this table in one of its migrations (the kit owns the SQL that
reads and writes it, the service owns its schema)::

    CREATE TABLE idempotency_keys (
        owner_id      uuid NOT NULL,
        key           text NOT NULL,
        fingerprint   bytea NOT NULL,
        response      bytea,
        created_at    timestamptz NOT NULL,
        locked_until  timestamptz NOT NULL,
        expires_at    timestamptz NOT NULL,
        PRIMARY KEY (owner_id, key)
    );
    CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);

and purges expired records with :func:`delete_expired` from a background sweep
(:class:`fleetkit.idempotency.sweep.ExpirySweep`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar.params import HeaderParameter

from fleetkit.db import KitPool
from fleetkit.idempotency.queries import (
    CLAIM_IDEMPOTENCY_KEY,
    DELETE_EXPIRED_IDEMPOTENCY_KEYS,
    RELEASE_IDEMPOTENCY_KEY,
    SELECT_IDEMPOTENCY_RECORD,
    STORE_IDEMPOTENT_RESPONSE,
)
from fleetkit.ids import utcnow
from fleetkit.problems import FieldError, problem, problem_spec
from fleetkit.responses import Response

__all__ = ["IDEMPOTENCY_RESPONSES", "IdempotencyKey", "delete_expired", "fingerprint", "idempotent"]

#: A claim not answered within this long is considered dead and may be taken over.
LEASE_S = 15.0
IN_PROGRESS_RETRY_AFTER_S = "1"
_JSON = "application/json"

#: The ``Idempotency-Key`` request header, as a route parameter.
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x20-\x7e]+$",
        description="Makes a retry safe: the same key and request replay the first response.",
        required=False,
    ),
]

#: Documented responses every idempotent route adds.
IDEMPOTENCY_RESPONSES = MappingProxyType(
    {
        409: problem_spec("A request with this Idempotency-Key is still in progress; retry."),
        422: problem_spec("This Idempotency-Key was already used for a different request."),
    }
)


class _StoredResponse(msgspec.Struct, frozen=True):
    status: int
    media_type: str
    headers: dict[str, str]
    body: bytes


def fingerprint(method: str, path: str, body: msgspec.Struct | None = None) -> bytes:
    """SHA-256 of the request as the service understood it (the decoded, canonical body)."""
    digest = hashlib.sha256(f"{method} {path}\n".encode())
    if body is not None:
        digest.update(msgspec.json.encode(body, order="deterministic"))
    return digest.digest()


def _as_bytes(response: Response[Any]) -> Response[bytes]:
    """Encode a Struct response once, so the original and every replay are the same bytes."""
    content = response.content
    body = content if isinstance(content, bytes) else msgspec.json.encode(content)
    media_type = str(response.media_type) if response.media_type else _JSON
    return Response(
        body,
        status_code=response.status_code,
        media_type=media_type,
        headers={k: str(v) for k, v in response.headers.items()},
    )


async def idempotent(
    pool: KitPool,
    *,
    owner_id: UUID,
    key: str | None,
    request: bytes,
    ttl_s: int,
    produce: Callable[[], Awaitable[Response[Any]]],
) -> Response[Any]:
    """Run ``produce`` at most once per (owner, key); see the module docstring."""
    if key is None:
        return await produce()
    now = utcnow()
    claimed = await pool.fetchval(
        CLAIM_IDEMPOTENCY_KEY,
        owner_id,
        key,
        request,
        now,
        now + timedelta(seconds=LEASE_S),
        now + timedelta(seconds=ttl_s),
    )
    if not claimed:
        return await _existing(pool, owner_id, key, request)
    answered = False
    try:
        response = _as_bytes(await produce())
        status = response.status_code or 200
        if 200 <= status < 300:
            stored = _StoredResponse(
                status,
                str(response.media_type),
                dict(response.headers),
                response.content,
            )
            await pool.execute(STORE_IDEMPOTENT_RESPONSE, owner_id, key, msgspec.msgpack.encode(stored))
            answered = True
    finally:
        if not answered:
            await pool.execute(RELEASE_IDEMPOTENCY_KEY, owner_id, key)
    return response


async def delete_expired(pool: KitPool, now: datetime, batch: int) -> int:
    """Delete one batch of records expired at ``now``; the number deleted."""
    status: str = await pool.execute(DELETE_EXPIRED_IDEMPOTENCY_KEYS, now, batch)
    return int(status.rsplit(" ", 1)[-1])


async def _existing(pool: KitPool, owner_id: UUID, key: str, request: bytes) -> Response[Any]:
    row = await pool.fetchrow(SELECT_IDEMPOTENCY_RECORD, owner_id, key)
    if row is not None and row["fingerprint"] != request:
        reason = "This key was already used for a different request; use a new key."
        return problem(
            422,
            "Unprocessable Content",
            reason,
            errors=[FieldError("Idempotency-Key", reason, source="header")],
        )
    if row is None or row["response"] is None:
        return problem(
            409,
            "Conflict",
            "A request with this Idempotency-Key is still in progress; retry shortly.",
            headers={"Retry-After": IN_PROGRESS_RETRY_AFTER_S},
        )
    stored = msgspec.msgpack.decode(row["response"], type=_StoredResponse)
    return Response(
        stored.body,
        status_code=stored.status,
        media_type=stored.media_type,
        headers={**stored.headers, "Idempotent-Replayed": "true"},
    )
