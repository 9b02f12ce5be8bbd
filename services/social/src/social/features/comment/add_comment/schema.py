from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from fleetkit.text import TEXT_PATTERN


class AddCommentRequest(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=1000,
            pattern=TEXT_PATTERN,
            description="The comment, 1 to 1000 characters, at least one visible (not only spaces or zero-width ones).",
            examples=["Love the colours!"],
        ),
    ]


class AddCommentResponse(msgspec.Struct):
    id: UUID
    post_id: UUID
    author_id: UUID
    text: str
    created_at: datetime
