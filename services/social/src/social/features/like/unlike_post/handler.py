from __future__ import annotations

from uuid import UUID

import msgspec

from fleetkit.connection import one_row
from fleetkit.db import KitPool
from social.features.like.unlike_post.command import UnlikePost
from social.features.like.unlike_post.queries import UNLIKE_POST
from social.posts import PostNotFound


class PostUnliked(msgspec.Struct, frozen=True):
    post_id: UUID
    like_count: int


async def unlike_post(cmd: UnlikePost, *, pool: KitPool) -> PostUnliked | PostNotFound:
    row = one_row(await pool.fetchrow(UNLIKE_POST, cmd.post_id, cmd.user_id))
    return PostUnliked(post_id=cmd.post_id, like_count=row["like_count"]) if row["found"] else PostNotFound()
