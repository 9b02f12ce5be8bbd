"""Read one avatar. Avatars are public within the fleet (their picture is public anyway), so
any authenticated caller may read any avatar; only drafts are private."""

from __future__ import annotations

import msgspec

from avatars.avatars import Avatar
from avatars.features.avatar.get_avatar.command import GetAvatar
from avatars.features.avatar.get_avatar.queries import SELECT_AVATAR
from fleetkit.db import KitPool


class AvatarNotFound(msgspec.Struct, frozen=True):
    pass


async def get_avatar(cmd: GetAvatar, *, pool: KitPool) -> Avatar | AvatarNotFound:
    row = await pool.fetchrow(SELECT_AVATAR, cmd.avatar_id)
    return AvatarNotFound() if row is None else Avatar(**row)
