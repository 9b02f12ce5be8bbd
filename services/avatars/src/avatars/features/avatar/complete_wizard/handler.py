"""Complete the wizard: every step set, then draft -> avatar in one transaction.

Exactly one avatar per draft: the draft row is locked, the avatar insert is guarded by the
unique ``draft_id`` constraint, and the draft is deleted and the avatar's snapshot written in the
same statement (four round trips in all: BEGIN, the lock, that statement, COMMIT). Completing
again (a retry, a double click, a concurrent request) finds the avatar by its draft id and
returns it with ``created=False``.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
import msgspec

from avatars.features.avatar.complete_wizard.command import CompleteWizard
from avatars.features.avatar.complete_wizard.queries import (
    COMPLETE_DRAFT,
    LOCK_LIVE_DRAFT,
    SELECT_AVATAR_OF_DRAFT,
)
from avatars.svg import Drawing, draw, etag_of
from fleetkit.db import KitPool
from fleetkit.ids import new_id, utcnow
from fleetkit.logging import get_logger

log = get_logger("avatars.complete_wizard")

STEPS: tuple[str, ...] = ("shape", "palette", "accessories", "name")


class CompletedAvatar(msgspec.Struct, frozen=True):
    id: UUID
    owner_id: UUID
    draft_id: UUID
    name: str
    shape: str
    color_background: str
    color_foreground: str
    color_accent: str
    accessories: list[str]
    version: int
    created_at: datetime
    updated_at: datetime


class AvatarCompleted(msgspec.Struct, frozen=True):
    avatar: CompletedAvatar
    created: bool


class DraftIncomplete(msgspec.Struct, frozen=True):
    missing_steps: list[str]


class DraftNotFound(msgspec.Struct, frozen=True):
    pass


def _missing(record: asyncpg.Record) -> list[str]:
    shape, background, _, _, accessories, name = record
    values = (shape, background, accessories, name)
    return [step for step, value in zip(STEPS, values, strict=True) if value is None]


async def complete_wizard(cmd: CompleteWizard, *, pool: KitPool) -> AvatarCompleted | DraftIncomplete | DraftNotFound:
    now = utcnow()
    async with pool.acquire() as conn, conn.transaction():
        draft = await conn.fetchrow(LOCK_LIVE_DRAFT, cmd.draft_id, cmd.owner_id, now)
        if draft is None:
            done = await conn.fetchrow(SELECT_AVATAR_OF_DRAFT, cmd.draft_id, cmd.owner_id)
            if done is None:
                return DraftNotFound()
            return AvatarCompleted(CompletedAvatar(*done), created=False)
        missing = _missing(draft)
        if missing:
            return DraftIncomplete(missing)
        svg = _drawing(draft)
        row = await conn.fetchrow(COMPLETE_DRAFT, new_id(), cmd.draft_id, now, svg, etag_of(svg))
        if row is None:  # unreachable while the draft is locked; the constraint is the backstop
            done = await conn.fetchrow(SELECT_AVATAR_OF_DRAFT, cmd.draft_id, cmd.owner_id)
            return DraftNotFound() if done is None else AvatarCompleted(CompletedAvatar(*done), False)
        avatar = CompletedAvatar(*row)
    log.info("avatar_created", avatar_id=str(avatar.id), owner_id=str(avatar.owner_id))
    return AvatarCompleted(avatar, created=True)


def _drawing(draft: asyncpg.Record) -> str:
    """The avatar's drawing, from the locked draft (what the avatar's row is copied from)."""
    shape, background, foreground, accent, accessories, name = draft
    drawing = Drawing(
        shape=shape, background=background, foreground=foreground, accent=accent, accessories=accessories, name=name
    )
    return draw(drawing)
