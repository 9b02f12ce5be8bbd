from __future__ import annotations

from uuid import UUID

import msgspec


class UnlikePost(msgspec.Struct, frozen=True):
    post_id: UUID
    user_id: UUID
