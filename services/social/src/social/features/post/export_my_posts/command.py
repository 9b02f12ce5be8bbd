from __future__ import annotations

from uuid import UUID

import msgspec


class ExportMyPosts(msgspec.Struct, frozen=True):
    author_id: UUID
