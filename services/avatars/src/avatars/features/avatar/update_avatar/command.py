from __future__ import annotations

from uuid import UUID

import msgspec


class UpdateAvatar(msgspec.Struct, frozen=True):
    """``expected_versions``: the If-Match versions; ``None`` for ``*`` (any current one)."""

    avatar_id: UUID
    owner_id: UUID
    expected_versions: tuple[int, ...] | None
    name: str | None = None
    shape: str | None = None
    palette: tuple[str, str, str] | None = None
    accessories: tuple[str, ...] | None = None
