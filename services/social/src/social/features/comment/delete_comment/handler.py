from __future__ import annotations

from typing import ClassVar

import msgspec

from fleetkit.db import KitPool
from social.features.comment.delete_comment.command import DeleteComment
from social.features.comment.delete_comment.queries import DELETE_OWN_COMMENT


class CommentDeleted(msgspec.Struct, frozen=True):
    pass


class CommentNotFound(msgspec.Struct, frozen=True):
    """No such comment of the caller's: someone else's answers the same, so ids reveal nothing."""

    detail: ClassVar[str] = "No comment with this id."


async def delete_comment(cmd: DeleteComment, *, pool: KitPool) -> CommentDeleted | CommentNotFound:
    deleted_from = await pool.fetchval(DELETE_OWN_COMMENT, cmd.comment_id, cmd.author_id)
    return CommentNotFound() if deleted_from is None else CommentDeleted()
