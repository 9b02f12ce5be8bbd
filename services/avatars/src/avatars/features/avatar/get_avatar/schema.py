from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec


class AvatarPalette(msgspec.Struct):
    background: Annotated[str, msgspec.Meta(examples=["#3366CC"])]
    foreground: Annotated[str, msgspec.Meta(examples=["#FFFFFF"])]
    accent: Annotated[str, msgspec.Meta(examples=["#FFCC00"])]


class AvatarResponse(msgspec.Struct):
    id: UUID
    owner_id: UUID
    name: Annotated[str, msgspec.Meta(examples=["Captain Pixel"])]
    shape: Annotated[str, msgspec.Meta(examples=["hexagon"])]
    palette: AvatarPalette
    accessories: Annotated[list[str], msgspec.Meta(examples=[["glasses"]])]
    version: Annotated[int, msgspec.Meta(examples=[3], description="Also the ETag, quoted.")]
    render_url: Annotated[str, msgspec.Meta(examples=["https://avatars.example.com/v1/avatars/0190/image.svg"])]
    created_at: datetime
    updated_at: datetime
