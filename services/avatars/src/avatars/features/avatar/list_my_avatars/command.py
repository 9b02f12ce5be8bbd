from __future__ import annotations

from uuid import UUID

import msgspec


class ListMyAvatars(msgspec.Struct, frozen=True):
    owner_id: UUID
    limit: int
    after: UUID | None = None
