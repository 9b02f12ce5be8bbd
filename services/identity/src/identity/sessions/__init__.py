"""Sessions as the session slices share them: a session is a refresh-token family.

Opening a session starts a family, refreshing extends it, closing or a detected reuse revokes it.
Opening and refreshing answer the same way, with ``SessionTokens``: a short-lived access token and
the refresh token that renews it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import asyncpg
import msgspec

from fleetkit.db import KitPool
from fleetkit.ids import new_id
from identity.sessions.queries import INSERT_REFRESH_TOKEN, LOCK_REFRESH_FAMILY
from identity.tokens import KeyRing, hash_refresh_token, new_refresh_token

__all__ = ["SessionTokens", "issue_session_tokens", "lock_family"]


class SessionTokens(msgspec.Struct, frozen=True):
    access_token: str
    refresh_token: str
    expires_in: int


async def lock_family(conn: asyncpg.Connection, family_id: UUID) -> None:
    """Serialise the changes to one family until the transaction ends.

    Deciding what a presented token means (fresh, a concurrent twin, a reuse) and acting on it
    must not interleave with another refresh or a revocation of the same family: a token issued
    while the family is being revoked would otherwise survive the revocation.
    """
    await conn.execute(LOCK_REFRESH_FAMILY, family_id)


async def issue_session_tokens(
    conn: asyncpg.Connection | KitPool,
    *,
    keyring: KeyRing,
    account_id: UUID,
    family_id: UUID,
    now: datetime,
    refresh_ttl_s: int,
) -> SessionTokens:
    """A new refresh token in ``family_id`` (stored as its digest) and an access token, both from ``now``."""
    refresh_token = new_refresh_token()
    await conn.execute(
        INSERT_REFRESH_TOKEN,
        new_id(),
        family_id,
        account_id,
        hash_refresh_token(refresh_token),
        now,
        now + timedelta(seconds=refresh_ttl_s),
    )
    access = keyring.sign_access_token(account_id, now.timestamp())
    return SessionTokens(access_token=access.token, refresh_token=refresh_token, expires_in=access.expires_in)
