"""Start the creation wizard: a private draft that expires unless completed in time."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import msgspec

from avatars.features.avatar.start_wizard.command import StartWizard
from avatars.features.avatar.start_wizard.queries import INSERT_DRAFT
from fleetkit.connection import one_row
from fleetkit.db import KitPool
from fleetkit.ids import new_id, utcnow


class DraftStarted(msgspec.Struct, frozen=True):
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


async def start_wizard(cmd: StartWizard, *, pool: KitPool, ttl_s: int) -> DraftStarted:
    now = utcnow()
    background, foreground, accent = (
        (None, None, None) if cmd.palette is None else tuple(c.upper() for c in cmd.palette)
    )
    accessories = None if cmd.accessories is None else sorted(cmd.accessories)
    row = await pool.fetchrow(  # INSERT ... RETURNING: one row
        INSERT_DRAFT,
        new_id(),
        cmd.owner_id,
        cmd.shape,
        background,
        foreground,
        accent,
        accessories,
        cmd.name,
        now,
        now + timedelta(seconds=ttl_s),
    )
    return DraftStarted(*one_row(row))
