from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from fleetkit.db import KitPool
from fleetkit.ids import new_id
from social.features.comment.add_comment.command import AddComment
from social.features.comment.add_comment.queries import INSERT_COMMENT
from social.posts import PostNotFound


class CommentAdded(msgspec.Struct, frozen=True):
    id: UUID
    post_id: UUID
    author_id: UUID
    text: str
    created_at: datetime


async def add_comment(cmd: AddComment, *, pool: KitPool) -> CommentAdded | PostNotFound:
    row = await pool.fetchrow(INSERT_COMMENT, new_id(), cmd.post_id, cmd.author_id, cmd.text, cmd.at)
    return PostNotFound() if row is None else CommentAdded(**row)
