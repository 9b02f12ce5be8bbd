"""The avatar vocabulary every slice validates against: shapes, accessories, colours, names.

Fixed sets, not database rows: the renderer has one drawing per entry, so adding one is a code
change (a new drawing) and a new release, never a data change.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

__all__ = [
    "ACCESSORIES",
    "COLOUR_PATTERN",
    "MAX_ACCESSORIES",
    "NAME_PATTERN",
    "SHAPES",
    "Accessory",
    "Colour",
    "Name",
    "Shape",
]

Shape = Literal["circle", "square", "rounded", "hexagon", "diamond"]
Accessory = Literal["glasses", "hat", "bowtie", "earrings", "crown", "headphones", "mustache"]
SHAPES: tuple[Shape, ...] = ("circle", "square", "rounded", "hexagon", "diamond")
ACCESSORIES: tuple[Accessory, ...] = (
    "glasses",
    "hat",
    "bowtie",
    "earrings",
    "crown",
    "headphones",
    "mustache",
)
MAX_ACCESSORIES = 4

COLOUR_PATTERN = r"^#[0-9A-Fa-f]{6}$"
#: At least one visible character; no control characters (XML 1.0 cannot carry them even
#: escaped) and no non-characters U+FFFE/U+FFFF.
NAME_PATTERN = r"^(?=.*\S)[^\x00-\x1f\x7f\ufffe\uffff]+$"

Colour = Annotated[str, msgspec.Meta(pattern=COLOUR_PATTERN, description="`#RRGGBB`.", examples=["#3366CC"])]
Name = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=50,
        pattern=NAME_PATTERN,
        description="1 to 50 characters, at least one visible.",
        examples=["Captain Pixel"],
    ),
]
