from __future__ import annotations

from uuid import UUID

import msgspec


class SetShape(msgspec.Struct, frozen=True):
    shape: str


class SetPalette(msgspec.Struct, frozen=True):
    background: str
    foreground: str
    accent: str


class SetAccessories(msgspec.Struct, frozen=True):
    accessories: tuple[str, ...]


class SetName(msgspec.Struct, frozen=True):
    name: str


class SetWizardStep(msgspec.Struct, frozen=True):
    draft_id: UUID
    owner_id: UUID
    step: SetShape | SetPalette | SetAccessories | SetName
