from __future__ import annotations

from typing import Annotated

import msgspec

from avatars.catalogue import MAX_ACCESSORIES, Accessory, Colour, Name, Shape


class StartPalette(msgspec.Struct, forbid_unknown_fields=True):
    background: Colour
    foreground: Colour
    accent: Colour


class StartWizardRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Every step is optional here: a draft may start empty or pre-filled."""

    shape: Annotated[Shape, msgspec.Meta(examples=["hexagon"])] | None = None
    palette: StartPalette | None = None
    accessories: (
        Annotated[
            list[Accessory],
            msgspec.Meta(
                description="A set: order and repeats do not matter; [] means none.",
                max_length=MAX_ACCESSORIES,
                examples=[["glasses", "hat"]],
            ),
        ]
        | None
    ) = None
    name: Name | None = None
