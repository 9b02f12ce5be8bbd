"""Accounts as every identity slice sees them: the e-mail rule and the account entity.

The e-mail rule lives here once because two slices must agree on it: registering stores the
normalised address and logging in looks it up (and keys its throttle) by the same form. Were the
two to drift, the owner of an account would no longer find it.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from uuid import UUID

import msgspec

__all__ = ["Account", "normalise_email"]


class Account(msgspec.Struct, frozen=True):
    """An account's public facts (never its password hash); SQL selects them under these names."""

    id: UUID
    email: str
    created_at: datetime


def normalise_email(email: str) -> str:
    """NFKC, trimmed and lower-cased, so one mailbox maps to one account."""
    return unicodedata.normalize("NFKC", email).strip().lower()
