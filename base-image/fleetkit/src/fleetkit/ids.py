"""Identifiers and time: UUID v7 ids and aware UTC timestamps, the only kinds the fleet uses."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from uuid_utils.compat import uuid7

__all__ = ["new_id", "utcnow"]


def new_id() -> UUID:
    """A time-ordered UUID v7 (index-friendly, sortable by creation)."""
    return uuid7()


def utcnow() -> datetime:
    return datetime.now(UTC)
