"""Log in: one answer and similar timing whether the e-mail is unknown or the password wrong."""

from __future__ import annotations

import time
import unicodedata

import msgspec

from fleetkit.db import KitPool
from fleetkit.ids import new_id, utcnow
from identity.features.session.login.command import LogIn
from identity.features.session.login.queries import SELECT_ACCOUNT_CREDENTIALS
from identity.passwords import Passwords
from identity.session_store import issue_refresh_token
from identity.tokens import KeyRing


class LoggedIn(msgspec.Struct, frozen=True):
    access_token: str
    refresh_token: str
    expires_in: int


class BadCredentials(msgspec.Struct, frozen=True):
    pass


async def log_in(
    cmd: LogIn, *, pool: KitPool, passwords: Passwords, keyring: KeyRing, refresh_ttl_s: int
) -> LoggedIn | BadCredentials:
    email = unicodedata.normalize("NFKC", cmd.email).strip().lower()
    row = await pool.fetchrow(SELECT_ACCOUNT_CREDENTIALS, email)
    if not await passwords.verify_or_burn(row["password_hash"] if row else None, cmd.password) or row is None:
        return BadCredentials()
    refresh = await issue_refresh_token(
        pool, account_id=row["id"], family_id=new_id(), now=utcnow(), ttl_s=refresh_ttl_s
    )
    access = keyring.sign_access_token(row["id"], time.time())
    return LoggedIn(access_token=access.token, refresh_token=refresh, expires_in=access.expires_in)
