from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec


class FeedAvatarResponse(msgspec.Struct):
    id: UUID
    name: str
    render_url: str
    updated_at: datetime


class FeedItemResponse(msgspec.Struct):
    post_id: UUID
    author_id: UUID
    author_name: Annotated[
        str,
        msgspec.Meta(
            description="The post's avatar's name, else 'user-' and 8 hex digits of the author id.",
            examples=["Captain Teal", "user-9f3a61c2"],
        ),
    ]
    text: str
    created_at: datetime
    like_count: int
    comment_count: int
    avatar_id: Annotated[UUID | None, msgspec.Meta(description="The avatar the author posted with, if any.")]
    avatar: Annotated[
        FeedAvatarResponse | None,
        msgspec.Meta(
            description=(
                "The avatar's snapshot; null when the post has none, the avatar was deleted, "
                "or (with degraded=true) avatars could not confirm it just now."
            )
        ),
    ]


class FeedPageResponse(msgspec.Struct):
    items: list[FeedItemResponse]
    next_after: Annotated[
        UUID | None,
        msgspec.Meta(description="Pass as ?after= for the next (older) page; null at the end."),
    ]
    degraded: Annotated[
        bool,
        msgspec.Meta(description="True when avatars was unavailable and some avatar fields are null."),
    ]
