"""Log in: one answer and similar timing whether the e-mail is unknown or the password wrong.

Guessing is limited per account, in identity's database so that every replica and every source
address draws on one budget. Each attempt is counted before its password is checked, under the
key's row lock (so concurrent guesses cannot slip past the count, and concurrent logins are not
refused for arriving together): the k-th attempt of a window holds the account
for ``backoff_s * 2**(k-1)`` seconds, and the ``budget``-th holds it until the window ends. A
held attempt is answered ``Held`` without touching the password. A successful login clears the
count. Nothing is permanent: when the window is over, the next attempt starts a fresh one.
Unknown e-mails go through exactly the same steps (and still cost a hash when admitted), so the
answers and their timing say nothing about which accounts exist.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import msgspec

from fleetkit.connection import one_row
from fleetkit.db import KitPool
from fleetkit.ids import new_id, utcnow
from identity.accounts import normalise_email
from identity.features.session.open_session.command import OpenSession
from identity.features.session.open_session.queries import (
    DELETE_STALE_THROTTLES,
    DELETE_THROTTLE,
    LOCK_THROTTLE,
    SELECT_ACCOUNT_CREDENTIALS,
    UPDATE_THROTTLE,
)
from identity.passwords import Passwords
from identity.sessions import SessionTokens, issue_session_tokens
from identity.tokens import KeyRing

#: Doubling stops here: 2**30 seconds is beyond any window the settings allow.
_MAX_DOUBLINGS = 30


class BadCredentials(msgspec.Struct, frozen=True):
    pass


class Held(msgspec.Struct, frozen=True):
    """Too many recent attempts for this e-mail; try again in ``retry_after_s`` seconds."""

    retry_after_s: float


class LoginLimits(msgspec.Struct, frozen=True):
    """The per-account budget (IDENTITY_LOGIN_* settings)."""

    budget: int
    window_s: float
    backoff_s: float


class Attempts(msgspec.Struct, frozen=True):
    """One key's row of ``login_throttle``."""

    attempts: int
    window_started_at: datetime
    held_until: datetime


def account_key(email: str) -> bytes:
    """What the throttle is keyed by: a digest of the normalised e-mail, never the e-mail itself."""
    return hashlib.sha256(b"fleet-login-throttle\x00" + email.encode("utf-8", "surrogatepass")).digest()


def next_attempts(prior: Attempts | None, now: datetime, limits: LoginLimits) -> Attempts | Held:
    """The state after admitting one more attempt at ``now``, or Held when the account is held."""
    if prior is not None and prior.held_until > now:
        return Held(retry_after_s=(prior.held_until - now).total_seconds())
    window = timedelta(seconds=limits.window_s)
    if prior is None or prior.window_started_at + window <= now:
        count, started = 1, now
    else:
        count, started = prior.attempts + 1, prior.window_started_at
    window_end = started + window
    if count >= limits.budget:
        held_until = window_end
    else:
        backoff = limits.backoff_s * 2 ** min(count - 1, _MAX_DOUBLINGS)
        held_until = min(window_end, now + timedelta(seconds=backoff))
    return Attempts(attempts=count, window_started_at=started, held_until=held_until)


async def _admit(pool: KitPool, key: bytes, limits: LoginLimits) -> Held | None:
    """Count one attempt in the database, under the key's row lock; Held when the account is held.

    The attempt's time is read once the lock is held, so turns taken in order see times in order.
    """
    async with pool.acquire() as conn, conn.transaction():
        arrived = utcnow()
        row = one_row(await conn.fetchrow(LOCK_THROTTLE, key, arrived))  # the upsert always returns its row
        now = utcnow()
        prior = Attempts(**row) if row["attempts"] else None
        if prior is None:  # a new key: rows whose window is over go as new ones come
            await conn.execute(DELETE_STALE_THROTTLES, arrived - timedelta(seconds=limits.window_s), arrived)
        state = next_attempts(prior, now, limits)
        if isinstance(state, Held):
            return state
        await conn.execute(UPDATE_THROTTLE, key, state.attempts, state.window_started_at, state.held_until)
    return None


async def open_session(
    cmd: OpenSession, *, pool: KitPool, passwords: Passwords, keyring: KeyRing, refresh_ttl_s: int, limits: LoginLimits
) -> SessionTokens | BadCredentials | Held:
    email = normalise_email(cmd.email)
    key = account_key(email)
    held = await _admit(pool, key, limits)
    if held is not None:
        return held
    row = await pool.fetchrow(SELECT_ACCOUNT_CREDENTIALS, email)
    if not await passwords.verify_or_burn(row["password_hash"] if row else None, cmd.password) or row is None:
        return BadCredentials()
    await pool.execute(DELETE_THROTTLE, key)
    return await issue_session_tokens(
        pool, keyring=keyring, account_id=row["id"], family_id=new_id(), now=utcnow(), refresh_ttl_s=refresh_ttl_s
    )
