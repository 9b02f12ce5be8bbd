from __future__ import annotations

from uuid import UUID

import msgspec


class AddComment(msgspec.Struct, frozen=True):
    post_id: UUID
    author_id: UUID
    text: str
