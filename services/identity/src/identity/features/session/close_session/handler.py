"""Log out: revoke the caller's refresh-token family. Idempotent, and silent about tokens that
are not the caller's, so it reveals nothing about other sessions."""

from __future__ import annotations

from fleetkit.db import KitPool
from fleetkit.ids import utcnow
from identity.features.session.close_session.command import CloseSession
from identity.features.session.close_session.queries import REVOKE_FAMILY_OF_TOKEN
from identity.tokens import hash_refresh_token


async def close_session(cmd: CloseSession, *, pool: KitPool) -> int:
    """Revoke the session; returns how many refresh tokens were revoked."""
    status = await pool.execute(REVOKE_FAMILY_OF_TOKEN, hash_refresh_token(cmd.refresh_token), cmd.account_id, utcnow())
    return int(status.rsplit(" ", 1)[-1])
