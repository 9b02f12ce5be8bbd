from __future__ import annotations

from uuid import UUID

import msgspec


class PreviewDraft(msgspec.Struct, frozen=True):
    draft_id: UUID
    owner_id: UUID
