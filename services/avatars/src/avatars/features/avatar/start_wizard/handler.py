"""Start the creation wizard: a private draft that expires unless completed in time."""

from __future__ import annotations

from datetime import timedelta

from avatars.drafts import Draft
from avatars.features.avatar.start_wizard.command import StartWizard
from avatars.features.avatar.start_wizard.queries import INSERT_DRAFT
from fleetkit.connection import one_row
from fleetkit.db import KitPool
from fleetkit.ids import new_id, utcnow


async def start_wizard(cmd: StartWizard, *, pool: KitPool, ttl_s: int) -> Draft:
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
    return Draft(**one_row(row))
