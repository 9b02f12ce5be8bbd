"""Update an avatar under optimistic concurrency: only if its version is one the caller saw.

The write model and the read model (snapshot) change in one transaction.
"""

from __future__ import annotations

import msgspec

from avatars.avatars import Avatar
from avatars.avatars.queries import SELECT_OWNED_AVATAR_VERSION
from avatars.features.avatar.update_avatar.command import UpdateAvatar
from avatars.features.avatar.update_avatar.queries import UPDATE_AVATAR_IF_VERSION
from avatars.snapshots import project
from fleetkit.db import KitPool
from fleetkit.ids import utcnow
from fleetkit.logging import get_logger

log = get_logger("avatars.update_avatar")


class VersionMismatch(msgspec.Struct, frozen=True):
    current_version: int


class AvatarNotFound(msgspec.Struct, frozen=True):
    """Missing or someone else's: the same answer, so existence does not leak."""


async def update_avatar(cmd: UpdateAvatar, *, pool: KitPool) -> Avatar | VersionMismatch | AvatarNotFound:
    colours = (None, None, None) if cmd.palette is None else tuple(c.upper() for c in cmd.palette)
    accessories = None if cmd.accessories is None else sorted(cmd.accessories)
    expected = None if cmd.expected_versions is None else list(cmd.expected_versions)
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            UPDATE_AVATAR_IF_VERSION,
            cmd.avatar_id,
            cmd.owner_id,
            expected,
            cmd.name,
            cmd.shape,
            *colours,
            accessories,
            utcnow(),
        )
        if row is None:
            current = await conn.fetchval(SELECT_OWNED_AVATAR_VERSION, cmd.avatar_id, cmd.owner_id)
            return VersionMismatch(current_version=current) if isinstance(current, int) else AvatarNotFound()
        avatar = Avatar(**row)
        await project(conn, avatar)
    log.info("avatar_updated", avatar_id=str(avatar.id), version=avatar.version)
    return avatar
