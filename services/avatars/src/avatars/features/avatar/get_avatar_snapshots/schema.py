"""The contract other services (social) code against: keep these names and types stable."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

MAX_IDS = 100


class BatchGetAvatarsRequest(msgspec.Struct, forbid_unknown_fields=True):
    ids: Annotated[
        list[UUID],
        msgspec.Meta(
            max_length=MAX_IDS,
            description="Up to 100 avatar ids; unknown ones are simply absent from the answer.",
            examples=[["0190f6c2-8d9a-7c3e-9b1a-2f4d5e6a7b8c"]],
        ),
    ]


class AvatarSnapshot(msgspec.Struct):
    id: UUID
    owner_id: UUID
    name: Annotated[str, msgspec.Meta(examples=["Captain Pixel"])]
    render_url: Annotated[str, msgspec.Meta(examples=["https://avatars.example.com/v1/avatars/0190/image.svg"])]
    updated_at: datetime


class BatchGetAvatarsResponse(msgspec.Struct):
    avatars: list[AvatarSnapshot]
