"""Idempotency-Key for avatars' creating POSTs: the kit's implementation (``fleetkit.idempotency``),
shared with social so both services answer retries the same way."""

from __future__ import annotations

from fleetkit.idempotency import IDEMPOTENCY_RESPONSES, IdempotencyKey, fingerprint, idempotent

__all__ = ["IDEMPOTENCY_RESPONSES", "IdempotencyKey", "fingerprint", "idempotent"]
