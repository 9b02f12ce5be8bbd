"""Refresh: rotate the refresh token on every use; a reused one revokes its whole family.

A refresh token can be consumed once. Presenting an already consumed token means two parties
hold it (the user and a thief), so every token of that login (its family) is revoked and both
must log in again.
"""

from __future__ import annotations

import time

import msgspec

from fleetkit.db import KitPool
from fleetkit.ids import utcnow
from fleetkit.logging import get_logger
from identity.features.session.refresh.command import RefreshSession
from identity.features.session.refresh.queries import (
    CONSUME_REFRESH_TOKEN,
    REVOKE_REFRESH_FAMILY,
    SELECT_REFRESH_TOKEN_STATE,
)
from identity.session_store import issue_refresh_token
from identity.tokens import KeyRing, hash_refresh_token

log = get_logger("identity.refresh")


class SessionRefreshed(msgspec.Struct, frozen=True):
    access_token: str
    refresh_token: str
    expires_in: int


class RefreshRejected(msgspec.Struct, frozen=True):
    reused: bool


async def refresh_session(
    cmd: RefreshSession, *, pool: KitPool, keyring: KeyRing, refresh_ttl_s: int
) -> SessionRefreshed | RefreshRejected:
    digest = hash_refresh_token(cmd.refresh_token)
    now = utcnow()
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(CONSUME_REFRESH_TOKEN, digest, now)
        if row is not None:
            token = await issue_refresh_token(
                conn,
                account_id=row["account_id"],
                family_id=row["family_id"],
                now=now,
                ttl_s=refresh_ttl_s,
            )
            access = keyring.sign_access_token(row["account_id"], time.time())
            return SessionRefreshed(access_token=access.token, refresh_token=token, expires_in=access.expires_in)
        state = await conn.fetchrow(SELECT_REFRESH_TOKEN_STATE, digest)
        if state is None or state["consumed_at"] is None:
            return RefreshRejected(reused=False)
        await conn.execute(REVOKE_REFRESH_FAMILY, state["family_id"], now)
    log.warning("refresh_token_reuse_detected", family_id=str(state["family_id"]))
    return RefreshRejected(reused=True)
