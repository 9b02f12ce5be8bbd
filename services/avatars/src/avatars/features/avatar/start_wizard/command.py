from __future__ import annotations

from uuid import UUID

import msgspec


class StartWizard(msgspec.Struct, frozen=True):
    owner_id: UUID
    shape: str | None = None
    palette: tuple[str, str, str] | None = None
    accessories: tuple[str, ...] | None = None
    name: str | None = None
