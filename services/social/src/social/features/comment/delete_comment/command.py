from __future__ import annotations

from uuid import UUID

import msgspec


class DeleteComment(msgspec.Struct, frozen=True):
    comment_id: UUID
    author_id: UUID
