from __future__ import annotations

from uuid import UUID

import msgspec


class DeleteAvatar(msgspec.Struct, frozen=True):
    """``expected_versions``: the If-Match versions; ``None`` when any version may go."""

    avatar_id: UUID
    owner_id: UUID
    expected_versions: tuple[int, ...] | None = None
