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


class AddCommentRequest(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=1000,
            pattern=NOT_BLANK,
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
