from __future__ import annotations

from uuid import UUID

import msgspec


class GetAvatar(msgspec.Struct, frozen=True):
    avatar_id: UUID
