"""Delete an avatar of the caller's; its snapshot (and so its public render) goes with it."""

from __future__ import annotations

import msgspec

from avatars.avatars.queries import SELECT_OWNED_AVATAR_VERSION
from avatars.features.avatar.delete_avatar.command import DeleteAvatar
from avatars.features.avatar.delete_avatar.queries import DELETE_AVATAR_IF_VERSION
from fleetkit.db import KitPool
from fleetkit.logging import get_logger

log = get_logger("avatars.delete_avatar")


class AvatarDeleted(msgspec.Struct, frozen=True):
    pass


class VersionMismatch(msgspec.Struct, frozen=True):
    current_version: int


class AvatarNotFound(msgspec.Struct, frozen=True):
    """Missing or someone else's: the same answer, so existence does not leak."""


async def delete_avatar(cmd: DeleteAvatar, *, pool: KitPool) -> AvatarDeleted | VersionMismatch | AvatarNotFound:
    expected = None if cmd.expected_versions is None else list(cmd.expected_versions)
    async with pool.acquire() as conn, conn.transaction():
        deleted = await conn.fetchval(DELETE_AVATAR_IF_VERSION, cmd.avatar_id, cmd.owner_id, expected)
        if deleted is not None:
            log.info("avatar_deleted", avatar_id=str(cmd.avatar_id))
            return AvatarDeleted()
        current = await conn.fetchval(SELECT_OWNED_AVATAR_VERSION, cmd.avatar_id, cmd.owner_id)
    return VersionMismatch(current_version=current) if isinstance(current, int) else AvatarNotFound()
