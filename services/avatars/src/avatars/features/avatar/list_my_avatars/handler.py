"""List the caller's avatars, oldest first, a page at a time (read model)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from avatars.features.avatar.list_my_avatars.command import ListMyAvatars
from avatars.features.avatar.list_my_avatars.queries import SELECT_MY_AVATARS_PAGE
from fleetkit.db import KitPool


class AvatarListing(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    version: int
    updated_at: datetime


class MyAvatars(msgspec.Struct, frozen=True):
    avatars: list[AvatarListing]
    next_after: UUID | None


async def list_my_avatars(cmd: ListMyAvatars, *, pool: KitPool) -> MyAvatars:
    rows = await pool.fetch(SELECT_MY_AVATARS_PAGE, cmd.owner_id, cmd.after, cmd.limit + 1)
    page = [AvatarListing(**row) for row in rows[: cmd.limit]]
    more = len(rows) > cmd.limit
    return MyAvatars(avatars=page, next_after=page[-1].id if more else None)
