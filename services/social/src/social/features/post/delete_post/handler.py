from __future__ import annotations

import msgspec

from fleetkit.db import KitPool
from social.features.post.delete_post.command import DeletePost
from social.features.post.delete_post.queries import DELETE_OWN_POST
from social.posts import PostNotFound


class PostDeleted(msgspec.Struct, frozen=True):
    pass


async def delete_post(cmd: DeletePost, *, pool: KitPool) -> PostDeleted | PostNotFound:
    """Only the author deletes a post; anyone else's attempt finds no post (ids reveal nothing)."""
    deleted = await pool.fetchval(DELETE_OWN_POST, cmd.post_id, cmd.author_id)
    return PostNotFound() if deleted is None else PostDeleted()
