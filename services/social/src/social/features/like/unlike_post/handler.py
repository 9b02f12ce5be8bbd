from __future__ import annotations

from uuid import UUID

import msgspec

from fleetkit.connection import one_row
from fleetkit.db import KitPool
from social.features.like.unlike_post.command import UnlikePost
from social.features.like.unlike_post.queries import UNLIKE_POST


class PostUnliked(msgspec.Struct, frozen=True):
    post_id: UUID
    like_count: int


class PostNotFound(msgspec.Struct, frozen=True):
    pass


async def unlike_post(cmd: UnlikePost, *, pool: KitPool) -> PostUnliked | PostNotFound:
    found, like_count = one_row(await pool.fetchrow(UNLIKE_POST, cmd.post_id, cmd.user_id))
    return PostUnliked(cmd.post_id, like_count) if found else PostNotFound()
