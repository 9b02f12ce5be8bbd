"""Set one step of a draft. Each write also pushes the draft's expiry a full TTL ahead."""

from __future__ import annotations

from datetime import timedelta
from typing import assert_never

import msgspec

from avatars.drafts import Draft
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
        case _:
            assert_never(step.step)


async def set_wizard_step(cmd: SetWizardStep, *, pool: KitPool, ttl_s: int) -> Draft | DraftNotFound:
    now = utcnow()
    query, values = _statement(cmd)
    row = await pool.fetchrow(query, cmd.draft_id, cmd.owner_id, now, now + timedelta(seconds=ttl_s), *values)
    return DraftNotFound() if row is None else Draft(**row)
