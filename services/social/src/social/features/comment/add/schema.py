from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

#: At least one non-space character (a blank text is rejected at the boundary) and no U+0000
#: anywhere (PostgreSQL's text cannot store it): both refused by the decoder with a 400 naming
#: the field, and both stated in the OpenAPI document.
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"


class AddCommentRequest(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=1000,
            pattern=NOT_BLANK,
            description="The comment, 1 to 1000 characters.",
            examples=["Love the colours!"],
        ),
    ]


class AddCommentResponse(msgspec.Struct):
    id: UUID
    post_id: UUID
    author_id: UUID
    text: str
    created_at: datetime
