"""Refresh-token families, shared by the session slices (login starts one; refresh extends it)."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from fleetkit.db import KitPool
from fleetkit.ids import new_id
from identity.session_store.queries import INSERT_REFRESH_TOKEN
from identity.tokens import hash_refresh_token, new_refresh_token

__all__ = ["issue_refresh_token"]


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
