"""Register an account: e-mail normalised and unique, password policy, argon2id hash."""

from __future__ import annotations

import msgspec

from fleetkit.db import KitPool
from fleetkit.ids import new_id, utcnow
from identity.accounts import Account, normalise_email
from identity.features.account.register_account.command import RegisterAccount
from identity.features.account.register_account.queries import INSERT_ACCOUNT
from identity.passwords import Passwords

COMMON_PASSWORDS: frozenset[str] = frozenset(
    {
        "password1234",
        "123456789012",
        "qwertyuiopas",
        "passwordpassword",
        "letmeinletmein",
        "iloveyou1234",
    }
)


class EmailTaken(msgspec.Struct, frozen=True):
    pass


class WeakPassword(msgspec.Struct, frozen=True):
    reason: str


def password_weakness(password: str, email: str) -> str | None:
    """Length is checked at the boundary; this rejects guessable passwords (NIST 800-63B)."""
    lowered = password.lower()
    if len(set(password)) < 4:
        return "uses too few distinct characters"
    if lowered in COMMON_PASSWORDS:
        return "is too common"
    if email.split("@", 1)[0] in lowered:
        return "contains the e-mail address"
    return None


async def register_account(
    cmd: RegisterAccount, *, pool: KitPool, passwords: Passwords
) -> Account | EmailTaken | WeakPassword:
    email = normalise_email(cmd.email)
    weakness = password_weakness(cmd.password, email)
    if weakness is not None:
        return WeakPassword(reason=f"password {weakness}")
    password_hash = await passwords.hash(cmd.password)
    row = await pool.fetchrow(INSERT_ACCOUNT, new_id(), email, password_hash, utcnow())
    if row is None:
        return EmailTaken()
    return Account(**row)
