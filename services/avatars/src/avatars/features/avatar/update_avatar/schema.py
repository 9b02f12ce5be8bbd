from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar
from uuid import UUID

import msgspec

from avatars.catalogue import MAX_ACCESSORIES, Accessory, Colour, Name, Shape


class UpdatePalette(msgspec.Struct, forbid_unknown_fields=True):
    background: Colour
    foreground: Colour
    accent: Colour


class UpdateAvatarRequest(msgspec.Struct, forbid_unknown_fields=True):
    """A merge patch: only the fields sent change (at least one)."""

    #: Published as ``minProperties: 1`` (fleetkit.openapi): ``{}`` changes nothing and is a 422.
    openapi_min_properties: ClassVar[int] = 1

    name: Name | msgspec.UnsetType = msgspec.UNSET
    shape: Annotated[Shape, msgspec.Meta(examples=["rounded"])] | msgspec.UnsetType = msgspec.UNSET
    palette: UpdatePalette | msgspec.UnsetType = msgspec.UNSET
    accessories: (
        Annotated[
            list[Accessory],
            msgspec.Meta(
                description="A set: order and repeats do not matter; [] means none.",
                max_length=MAX_ACCESSORIES,
                examples=[["crown"]],
            ),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET


class UpdatedPalette(msgspec.Struct):
    background: str
    foreground: str
    accent: str


class UpdatedAvatarResponse(msgspec.Struct):
    id: UUID
    owner_id: UUID
    name: Annotated[str, msgspec.Meta(examples=["Captain Pixel"])]
    shape: str
    palette: UpdatedPalette
    accessories: list[str]
    version: Annotated[int, msgspec.Meta(examples=[2])]
    render_url: str
    created_at: datetime
    updated_at: datetime
