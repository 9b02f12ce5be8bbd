"""Read one avatar. Avatars are public within the fleet (their picture is public anyway), so
any authenticated caller may read any avatar; only drafts are private."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from avatars.features.avatar.get_avatar.command import GetAvatar
from avatars.features.avatar.get_avatar.queries import SELECT_AVATAR
from fleetkit.db import KitPool


class Avatar(msgspec.Struct, frozen=True):
    id: UUID
    owner_id: UUID
    name: str
    shape: str
    color_background: str
    color_foreground: str
    color_accent: str
    accessories: list[str]
    version: int
    created_at: datetime
    updated_at: datetime


class AvatarNotFound(msgspec.Struct, frozen=True):
    pass


async def get_avatar(cmd: GetAvatar, *, pool: KitPool) -> Avatar | AvatarNotFound:
    row = await pool.fetchrow(SELECT_AVATAR, cmd.avatar_id)
    return AvatarNotFound() if row is None else Avatar(*row)
