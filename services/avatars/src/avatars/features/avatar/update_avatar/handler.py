"""Update an avatar under optimistic concurrency: only if its version is one the caller saw.

The write model and the read model (snapshot) change in one transaction.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from avatars.features.avatar.update_avatar.command import UpdateAvatar
from avatars.features.avatar.update_avatar.queries import (
    SELECT_OWNED_AVATAR_VERSION,
    UPDATE_AVATAR_IF_VERSION,
)
from avatars.snapshots import AvatarFacts, project
from fleetkit.db import KitPool
from fleetkit.ids import utcnow
from fleetkit.logging import get_logger

log = get_logger("avatars.update_avatar")


class AvatarUpdated(msgspec.Struct, frozen=True):
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


class VersionMismatch(msgspec.Struct, frozen=True):
    current_version: int


class AvatarNotFound(msgspec.Struct, frozen=True):
    """Missing or someone else's: the same answer, so existence does not leak."""


async def update_avatar(cmd: UpdateAvatar, *, pool: KitPool) -> AvatarUpdated | VersionMismatch | AvatarNotFound:
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
            return VersionMismatch(current) if isinstance(current, int) else AvatarNotFound()
        a = AvatarUpdated(*row)
        await project(
            conn,
            AvatarFacts(
                a.id,
                a.owner_id,
                a.name,
                a.shape,
                a.color_background,
                a.color_foreground,
                a.color_accent,
                a.accessories,
                a.version,
                a.updated_at,
            ),
        )
    log.info("avatar_updated", avatar_id=str(a.id), version=a.version)
    return a
