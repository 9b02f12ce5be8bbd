"""Complete the wizard: every step set, then draft -> avatar in one transaction.

Exactly one avatar per draft: the draft row is locked, the avatar insert is guarded by the
unique ``draft_id`` constraint, and the draft is deleted and the avatar's snapshot written in the
same statement (four round trips in all: BEGIN, the lock, that statement, COMMIT). Completing
again (a retry, a double click, a concurrent request) finds the avatar by its draft id and
returns it with ``created=False``.
"""

from __future__ import annotations

import msgspec

from avatars.avatars import Avatar
from avatars.drafts import DraftDesign
from avatars.features.avatar.complete_wizard.command import CompleteWizard
from avatars.features.avatar.complete_wizard.queries import (
    COMPLETE_DRAFT,
    LOCK_LIVE_DRAFT,
    SELECT_AVATAR_OF_DRAFT,
)
from avatars.svg import draw, drawing_of, etag_of
from fleetkit.db import KitPool
from fleetkit.ids import new_id, utcnow
from fleetkit.logging import get_logger

log = get_logger("avatars.complete_wizard")


class AvatarCompleted(msgspec.Struct, frozen=True):
    avatar: Avatar
    created: bool


class DraftIncomplete(msgspec.Struct, frozen=True):
    missing_steps: list[str]


class DraftNotFound(msgspec.Struct, frozen=True):
    pass


async def complete_wizard(cmd: CompleteWizard, *, pool: KitPool) -> AvatarCompleted | DraftIncomplete | DraftNotFound:
    now = utcnow()
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(LOCK_LIVE_DRAFT, cmd.draft_id, cmd.owner_id, now)
        if row is None:
            done = await conn.fetchrow(SELECT_AVATAR_OF_DRAFT, cmd.draft_id, cmd.owner_id)
            return DraftNotFound() if done is None else AvatarCompleted(avatar=Avatar(**done), created=False)
        draft = DraftDesign(**row)
        missing = draft.missing_steps
        if missing:
            return DraftIncomplete(missing_steps=missing)
        svg = draw(drawing_of(draft))
        row = await conn.fetchrow(COMPLETE_DRAFT, new_id(), cmd.draft_id, now, svg, etag_of(svg))
        if row is None:  # unreachable while the draft is locked; the constraint is the backstop
            done = await conn.fetchrow(SELECT_AVATAR_OF_DRAFT, cmd.draft_id, cmd.owner_id)
            return DraftNotFound() if done is None else AvatarCompleted(avatar=Avatar(**done), created=False)
        avatar = Avatar(**row)
    log.info("avatar_created", avatar_id=str(avatar.id), owner_id=str(avatar.owner_id))
    return AvatarCompleted(avatar=avatar, created=True)
