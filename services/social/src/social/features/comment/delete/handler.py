from __future__ import annotations

import msgspec

from fleetkit.connection import one_row
from fleetkit.db import KitPool
from social.features.comment.delete.command import DeleteComment
from social.features.comment.delete.queries import DELETE_OWN_COMMENT


class CommentDeleted(msgspec.Struct, frozen=True):
    pass


class CommentNotFound(msgspec.Struct, frozen=True):
    pass


class NotYourComment(msgspec.Struct, frozen=True):
    pass


async def delete_comment(cmd: DeleteComment, *, pool: KitPool) -> CommentDeleted | CommentNotFound | NotYourComment:
    author_id, deleted = one_row(await pool.fetchrow(DELETE_OWN_COMMENT, cmd.comment_id, cmd.author_id))
    if deleted:
        return CommentDeleted()
    return CommentNotFound() if author_id is None else NotYourComment()
