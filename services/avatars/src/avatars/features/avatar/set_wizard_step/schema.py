from __future__ import annotations

from typing import Annotated

import msgspec

from avatars.catalogue import MAX_ACCESSORIES, Accessory, Colour, Name, Shape


class SetShapeRequest(msgspec.Struct, forbid_unknown_fields=True):
    shape: Annotated[Shape, msgspec.Meta(examples=["circle"])]


class SetPaletteRequest(msgspec.Struct, forbid_unknown_fields=True):
    background: Colour
    foreground: Colour
    accent: Colour


class SetAccessoriesRequest(msgspec.Struct, forbid_unknown_fields=True):
    accessories: Annotated[
        list[Accessory],
        msgspec.Meta(
            max_length=MAX_ACCESSORIES,
            description="A set: order and repeats do not matter; [] means none.",
            examples=[["glasses", "crown"]],
        ),
    ]


class SetNameRequest(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
