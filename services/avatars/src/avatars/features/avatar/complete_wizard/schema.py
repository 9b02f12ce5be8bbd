from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec


class CompletedPalette(msgspec.Struct):
    background: Annotated[str, msgspec.Meta(examples=["#3366CC"])]
    foreground: Annotated[str, msgspec.Meta(examples=["#FFFFFF"])]
    accent: Annotated[str, msgspec.Meta(examples=["#FFCC00"])]


class CompletedAvatarResponse(msgspec.Struct):
    id: UUID
    owner_id: UUID
    draft_id: UUID
    name: Annotated[str, msgspec.Meta(examples=["Captain Pixel"])]
    shape: Annotated[str, msgspec.Meta(examples=["hexagon"])]
    palette: CompletedPalette
    accessories: Annotated[list[str], msgspec.Meta(examples=[["glasses"]])]
    version: Annotated[int, msgspec.Meta(examples=[1])]
    render_url: Annotated[str, msgspec.Meta(examples=["https://avatars.example.com/v1/avatars/0190/image.svg"])]
    created_at: datetime
    updated_at: datetime
