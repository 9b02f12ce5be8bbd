from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

#: At least one non-space character (a blank text is rejected at the boundary) and no U+0000
#: anywhere (PostgreSQL's text cannot store it): both refused by the decoder with a 400 naming
#: the field, and both stated in the OpenAPI document.
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"


class PublishPostRequest(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=2000,
            pattern=NOT_BLANK,
            description="The post, 1 to 2000 characters.",
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
