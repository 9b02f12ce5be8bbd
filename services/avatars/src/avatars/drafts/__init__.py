"""A wizard draft as the wizard's slices see it: the row, its missing steps and its answer.

A draft is private to its owner and lives until it is completed or expires; a step not made
yet is ``NULL`` (the palette's three colours are set together, so one stands for all three).
Rows map to :class:`Draft` (or :class:`DraftDesign`) by name, so every ``SELECT`` or
``RETURNING`` lists :data:`DRAFT_COLUMNS` (or :data:`DRAFT_DESIGN_COLUMNS`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import msgspec

from avatars.drafts.queries import DELETE_EXPIRED_DRAFTS

if TYPE_CHECKING:  # a type only: the bench's FastAPI peer borrows this module without the kit's logging
    from fleetkit.db import KitPool

__all__ = [
    "DRAFT_COLUMNS",
    "DRAFT_DESIGN_COLUMNS",
    "STEPS",
    "Draft",
    "DraftDesign",
    "DraftPalette",
    "DraftResponse",
    "delete_expired_drafts",
    "draft_response",
]

#: The wizard's steps, in the order the wizard asks them.
STEPS: tuple[str, ...] = ("shape", "palette", "accessories", "name")


class DraftDesign(msgspec.Struct, frozen=True):
    """The choices made so far."""

    shape: str | None
    color_background: str | None
    color_foreground: str | None
    color_accent: str | None
    accessories: list[str] | None
    name: str | None

    @property
    def missing_steps(self) -> list[str]:
        values = (self.shape, self.color_background, self.accessories, self.name)
        return [step for step, value in zip(STEPS, values, strict=True) if value is None]


class Draft(DraftDesign, frozen=True):
    id: UUID
    created_at: datetime
    updated_at: datetime
    expires_at: datetime


DRAFT_DESIGN_COLUMNS = "shape, color_background, color_foreground, color_accent, accessories, name"
DRAFT_COLUMNS = f"id, {DRAFT_DESIGN_COLUMNS}, created_at, updated_at, expires_at"


class DraftPalette(msgspec.Struct):
    background: str
    foreground: str
    accent: str


class DraftResponse(msgspec.Struct):
    """A draft on the wire: what starting the wizard and every step answer."""

    id: UUID
    shape: str | None
    palette: DraftPalette | None
    accessories: list[str] | None
    name: str | None
    missing_steps: Annotated[list[str], msgspec.Meta(examples=[["palette", "accessories"]])]
    created_at: datetime
    updated_at: datetime
    expires_at: datetime


def draft_response(d: Draft) -> DraftResponse:
    palette = None
    if d.color_background and d.color_foreground and d.color_accent:
        palette = DraftPalette(background=d.color_background, foreground=d.color_foreground, accent=d.color_accent)
    return DraftResponse(
        id=d.id,
        shape=d.shape,
        palette=palette,
        accessories=d.accessories,
        name=d.name,
        missing_steps=d.missing_steps,
        created_at=d.created_at,
        updated_at=d.updated_at,
        expires_at=d.expires_at,
    )


async def delete_expired_drafts(pool: KitPool, now: datetime, batch: int) -> int:
    """Delete one batch of drafts expired at ``now``; the number deleted.

    Reads already treat an expired draft as absent, so this only reclaims space.
    """
    status: str = await pool.execute(DELETE_EXPIRED_DRAFTS, now, batch)
    return int(status.rsplit(" ", 1)[-1])
