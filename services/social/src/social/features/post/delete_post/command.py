from __future__ import annotations

from uuid import UUID

import msgspec


class DeletePost(msgspec.Struct, frozen=True):
    post_id: UUID
    author_id: UUID
