"""An avatar as the slices that read or write one see it: the ``avatars`` row and its columns.

Rows map to :class:`Avatar` by name (``Avatar(**row)``), so every SELECT or RETURNING of an
avatar lists :data:`AVATAR_COLUMNS`: a renamed or missing column fails loudly instead of
shifting values into the wrong fields.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

__all__ = ["AVATAR_COLUMNS", "Avatar", "render_url"]


class Avatar(msgspec.Struct, frozen=True):
    id: UUID
    owner_id: UUID
    draft_id: UUID
    name: str
    shape: str
    color_background: str
    color_foreground: str
    color_accent: str
    accessories: list[str]
    version: int
    created_at: datetime
    updated_at: datetime


#: :class:`Avatar`'s fields as columns of ``avatars``, for ``SELECT`` and ``RETURNING``.
AVATAR_COLUMNS = (
    "id, owner_id, draft_id, name, shape, color_background, color_foreground, color_accent, "
    "accessories, version, created_at, updated_at"
)


def render_url(base: str, avatar_id: UUID) -> str:
    """Where browsers fetch the avatar's picture: every answer that names an avatar carries it."""
    return f"{base}/v1/avatars/{avatar_id}/image.svg"
