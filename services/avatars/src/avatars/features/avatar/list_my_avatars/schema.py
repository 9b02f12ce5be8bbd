from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

MAX_PAGE = 100
DEFAULT_PAGE = 20


class MyAvatarItem(msgspec.Struct):
    id: UUID
    name: Annotated[str, msgspec.Meta(examples=["Captain Pixel"])]
    version: int
    render_url: Annotated[str, msgspec.Meta(examples=["https://avatars.example.com/v1/avatars/0190/image.svg"])]
    updated_at: datetime


class MyAvatarsPage(msgspec.Struct):
    avatars: list[MyAvatarItem]
    next_after: Annotated[
        UUID | None,
        msgspec.Meta(description="Pass as `after` for the next page; null on the last page."),
    ]
