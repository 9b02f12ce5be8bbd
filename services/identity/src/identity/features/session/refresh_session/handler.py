"""Refresh: rotate the refresh token on every use; a reused one revokes its whole family.

A refresh token can be consumed once. Presenting an already consumed token means two parties
hold it (the user and a thief), so every token of that login (its family) is revoked and both
must log in again; except within ``reuse_leeway_s`` of its consumption: a browser with two tabs
(or a retry after a lost answer) sends the same token twice at once, and each of those callers
gets a working pair of its own in the same family. The leeway is the window a thief racing the
user would also get, which is why it is short (``IDENTITY_REFRESH_REUSE_LEEWAY_S``; 0 turns it off).
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from uuid import UUID

import msgspec

from fleetkit.db import KitPool
from fleetkit.ids import utcnow
from fleetkit.logging import get_logger
from identity.features.session.refresh_session.command import RefreshSession
from identity.features.session.refresh_session.queries import (
    CONSUME_REFRESH_TOKEN,
    REVOKE_REFRESH_FAMILY,
    SELECT_REFRESH_TOKEN_FAMILY,
    SELECT_REFRESH_TOKEN_STATE,
)
from identity.sessions import SessionTokens, issue_session_tokens, lock_family
from identity.tokens import KeyRing, hash_refresh_token

log = get_logger("identity.refresh")


class RefreshRejected(msgspec.Struct, frozen=True):
    """Unknown, expired, revoked or reused: the caller learns nothing about which."""


class _Verdict(enum.Enum):
    FRESH = "fresh"  # never used: consume it and issue its successor
    TWIN = "twin"  # consumed within the leeway: a concurrent refresh, issue a sibling
    REUSED = "reused"  # consumed before the leeway: stolen, revoke the family
    DEAD = "dead"  # revoked or expired


class _TokenState(msgspec.Struct, frozen=True):
    """The refresh token's row, read under the family's lock (columns by name)."""

    family_id: UUID
    account_id: UUID
    consumed_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime


def _verdict(state: _TokenState, now: datetime, leeway: timedelta) -> _Verdict:
    if state.revoked_at is not None or state.expires_at <= now:
        return _Verdict.DEAD
    consumed_at = state.consumed_at
    if consumed_at is None:
        return _Verdict.FRESH
    return _Verdict.TWIN if now - consumed_at <= leeway else _Verdict.REUSED


async def refresh_session(
    cmd: RefreshSession, *, pool: KitPool, keyring: KeyRing, refresh_ttl_s: int, reuse_leeway_s: float
) -> SessionTokens | RefreshRejected:
    digest = hash_refresh_token(cmd.refresh_token)
    async with pool.acquire() as conn, conn.transaction():
        family_id = await conn.fetchval(SELECT_REFRESH_TOKEN_FAMILY, digest)
        if not isinstance(family_id, UUID):
            return RefreshRejected()
        await lock_family(conn, family_id)
        row = await conn.fetchrow(SELECT_REFRESH_TOKEN_STATE, digest)  # read under the lock
        if row is None:  # its family was deleted (the account with it) before the lock was ours
            return RefreshRejected(reused=False)
        state = _TokenState(**row)
        now = utcnow()
        verdict = _verdict(state, now, timedelta(seconds=reuse_leeway_s))
        if verdict is _Verdict.DEAD:
            return RefreshRejected()
        if verdict is _Verdict.REUSED:
            await conn.execute(REVOKE_REFRESH_FAMILY, family_id, now)
        else:
            if verdict is _Verdict.FRESH:
                await conn.execute(CONSUME_REFRESH_TOKEN, digest, now)
            return await issue_session_tokens(
                conn,
                keyring=keyring,
                account_id=state.account_id,
                family_id=family_id,
                now=now,
                refresh_ttl_s=refresh_ttl_s,
            )
    log.warning("refresh_token_reuse_detected", family_id=str(family_id))
    return RefreshRejected()
