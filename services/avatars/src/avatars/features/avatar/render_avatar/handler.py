"""Serve an avatar's drawing from the read model (drawn once per write, never per read)."""

from __future__ import annotations

import msgspec

from avatars.features.avatar.render_avatar.command import RenderAvatar
from avatars.features.avatar.render_avatar.queries import SELECT_AVATAR_RENDER
from fleetkit.db import KitPool


class Render(msgspec.Struct, frozen=True):
    svg: str
    etag: str


class AvatarNotFound(msgspec.Struct, frozen=True):
    pass


async def render_avatar(cmd: RenderAvatar, *, pool: KitPool) -> Render | AvatarNotFound:
    row = await pool.fetchrow(SELECT_AVATAR_RENDER, cmd.avatar_id)
    return AvatarNotFound() if row is None else Render(**row)
