from __future__ import annotations

from uuid import UUID

import msgspec

from fleetkit.connection import one_row
from fleetkit.db import KitPool
from social.features.like.like_post.command import LikePost
from social.features.like.like_post.queries import LIKE_POST


class PostLiked(msgspec.Struct, frozen=True):
    post_id: UUID
    like_count: int


class PostNotFound(msgspec.Struct, frozen=True):
    pass


async def like_post(cmd: LikePost, *, pool: KitPool) -> PostLiked | PostNotFound:
    """Liking twice is one like: the second call changes nothing and answers the same."""
    found, like_count = one_row(await pool.fetchrow(LIKE_POST, cmd.post_id, cmd.user_id, cmd.at))
    return PostLiked(cmd.post_id, like_count) if found else PostNotFound()
