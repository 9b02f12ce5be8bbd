from __future__ import annotations

from uuid import UUID

import msgspec

from fleetkit.connection import one_row
from fleetkit.db import KitPool
from social.features.like.like_post.command import LikePost
from social.features.like.like_post.queries import LIKE_POST
from social.posts import PostNotFound


class PostLiked(msgspec.Struct, frozen=True):
    post_id: UUID
    like_count: int


async def like_post(cmd: LikePost, *, pool: KitPool) -> PostLiked | PostNotFound:
    """Liking twice is one like: the second call changes nothing and answers the same."""
    row = one_row(await pool.fetchrow(LIKE_POST, cmd.post_id, cmd.user_id, cmd.at))
    return PostLiked(post_id=cmd.post_id, like_count=row["like_count"]) if row["found"] else PostNotFound()
