from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from fleetkit.text import TEXT_PATTERN


class PublishPostRequest(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=2000,
            pattern=TEXT_PATTERN,
            description="The post, 1 to 2000 characters, at least one visible (not only spaces or zero-width ones).",
            examples=["Finished my avatar today!"],
        ),
    ]
    avatar_id: (
        Annotated[
            UUID,
            msgspec.Meta(
                description="One of the author's own avatars, shown with the post.",
                examples=["01937c5e-8f00-7aaa-8bbb-0123456789ab"],
            ),
        ]
        | None
    ) = None


class PublishPostResponse(msgspec.Struct):
    id: UUID
    author_id: UUID
    text: str
    avatar_id: UUID | None
    created_at: datetime
