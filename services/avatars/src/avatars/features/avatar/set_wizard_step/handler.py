"""Set one step of a draft. Each write also pushes the draft's expiry a full TTL ahead."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import msgspec

from avatars.features.avatar.set_wizard_step.command import (
    SetAccessories,
    SetName,
    SetPalette,
    SetShape,
    SetWizardStep,
)
from avatars.features.avatar.set_wizard_step.queries import (
    SET_DRAFT_ACCESSORIES,
    SET_DRAFT_NAME,
    SET_DRAFT_PALETTE,
    SET_DRAFT_SHAPE,
)
from fleetkit.db import KitPool
from fleetkit.ids import utcnow


class DraftUpdated(msgspec.Struct, frozen=True):
    id: UUID
    shape: str | None
    color_background: str | None
    color_foreground: str | None
    color_accent: str | None
    accessories: list[str] | None
    name: str | None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime

    @property
    def missing_steps(self) -> list[str]:
        steps = {
            "shape": self.shape,
            "palette": self.color_background,
            "accessories": self.accessories,
            "name": self.name,
        }
        return [step for step, value in steps.items() if value is None]


class DraftNotFound(msgspec.Struct, frozen=True):
    """No such draft, not the caller's, expired or already completed: all look the same."""


def _statement(step: SetWizardStep) -> tuple[str, tuple[str | list[str], ...]]:
    match step.step:
        case SetShape(shape=shape):
            return SET_DRAFT_SHAPE, (shape,)
        case SetPalette(background=bg, foreground=fg, accent=accent):
            return SET_DRAFT_PALETTE, (bg.upper(), fg.upper(), accent.upper())
        case SetAccessories(accessories=accessories):
            return SET_DRAFT_ACCESSORIES, (sorted(accessories),)
        case SetName(name=name):
            return SET_DRAFT_NAME, (name,)


async def set_wizard_step(cmd: SetWizardStep, *, pool: KitPool, ttl_s: int) -> DraftUpdated | DraftNotFound:
    now = utcnow()
    query, values = _statement(cmd)
    row = await pool.fetchrow(query, cmd.draft_id, cmd.owner_id, now, now + timedelta(seconds=ttl_s), *values)
    return DraftNotFound() if row is None else DraftUpdated(*row)
