from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec


class ExportedPost(msgspec.Struct):
    """One line of the NDJSON export."""

    id: UUID
    text: str
    avatar_id: UUID | None
    created_at: datetime
    like_count: int
    comment_count: int
