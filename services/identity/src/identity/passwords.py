"""Argon2id password hashing, kept off the event loop (hashing takes tens of milliseconds).

``verify_or_burn`` is used for unknown e-mails too, against a hash of a random password made at
start, so that "no such account" and "wrong password" take the same time and look the same.
"""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["Passwords"]


class Passwords:
    __slots__ = ("_dummy", "_hasher")

    def __init__(self) -> None:
        self._hasher = PasswordHasher()  # argon2id with RFC 9106 low-memory defaults
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify_or_burn(self, stored_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; with no stored hash, spend the same time and say False."""
        return await asyncio.to_thread(self._verify, stored_hash, password)

    def _verify(self, stored_hash: str | None, password: str) -> bool:
        try:
            ok = self._hasher.verify(stored_hash or self._dummy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return ok and stored_hash is not None
