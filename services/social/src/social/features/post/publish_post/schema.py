from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from fleetkit import text

#: The kit's text rule: at least one visible character (a blank or zero-width-only text is
#: refused at the boundary) and no U+0000 (PostgreSQL's text cannot store it): both refused by
#: the decoder with a 400 naming the field, and both stated in the OpenAPI document.
#: Bidirectional controls are allowed in texts (mixed-direction prose needs them); names refuse them.
NOT_BLANK = text.TEXT_PATTERN


class PublishPostRequest(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=2000,
            pattern=NOT_BLANK,
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
