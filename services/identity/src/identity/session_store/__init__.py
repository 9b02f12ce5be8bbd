"""Refresh-token families, shared by the session slices (login starts one; refresh extends it)."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from fleetkit.db import KitPool
from fleetkit.ids import new_id
from identity.session_store.queries import INSERT_REFRESH_TOKEN, LOCK_REFRESH_FAMILY
from identity.tokens import hash_refresh_token, new_refresh_token

__all__ = ["issue_refresh_token", "lock_family"]


async def lock_family(conn: asyncpg.Connection, family_id: UUID) -> None:
    """Serialise the changes to one family until the transaction ends.

    Deciding what a presented token means (fresh, a concurrent twin, a reuse) and acting on it
    must not interleave with another refresh or a revocation of the same family: a token issued
    while the family is being revoked would otherwise survive the revocation.
    """
    await conn.execute(LOCK_REFRESH_FAMILY, family_id)


async def issue_refresh_token(
    conn: asyncpg.Connection | KitPool,
    *,
    account_id: UUID,
    family_id: UUID,
    now: datetime,
    ttl_s: int,
) -> str:
    token = new_refresh_token()
    await conn.execute(
        INSERT_REFRESH_TOKEN,
        new_id(),
        family_id,
        account_id,
        hash_refresh_token(token),
        now,
        now + timedelta(seconds=ttl_s),
    )
    return token
