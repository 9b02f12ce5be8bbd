from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec


class LikePostResponse(msgspec.Struct):
    post_id: UUID
    liked: Annotated[bool, msgspec.Meta(description="Whether the caller likes the post now.")]
    like_count: Annotated[int, msgspec.Meta(ge=0, examples=[42])]
