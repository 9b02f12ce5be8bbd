from __future__ import annotations

from uuid import UUID

import msgspec


class RenderAvatar(msgspec.Struct, frozen=True):
    avatar_id: UUID
