from __future__ import annotations

import msgspec

from fleetkit.connection import one_row
from fleetkit.db import KitPool
from social.features.post.delete.command import DeletePost
from social.features.post.delete.queries import DELETE_OWN_POST


class PostDeleted(msgspec.Struct, frozen=True):
    pass


class PostNotFound(msgspec.Struct, frozen=True):
    pass


class NotYourPost(msgspec.Struct, frozen=True):
    pass


async def delete_post(cmd: DeletePost, *, pool: KitPool) -> PostDeleted | PostNotFound | NotYourPost:
    author_id, deleted = one_row(await pool.fetchrow(DELETE_OWN_POST, cmd.post_id, cmd.author_id))
    if deleted:
        return PostDeleted()
    return PostNotFound() if author_id is None else NotYourPost()
