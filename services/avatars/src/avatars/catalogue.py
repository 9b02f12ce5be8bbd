"""The avatar vocabulary every slice validates against: shapes, accessories, colours, names.

Fixed sets, not database rows: the renderer has one drawing per entry, so adding one is a code
change (a new drawing) and a new release, never a data change.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from fleetkit import text

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
#: The kit's name rule: at least one visible character (zero-width and other invisible ones do
#: not count); no control characters (XML 1.0 cannot carry them even escaped), no non-characters
#: U+FFFE/U+FFFF and no bidirectional overrides or isolates.
NAME_PATTERN = text.NAME_PATTERN

Colour = Annotated[str, msgspec.Meta(pattern=COLOUR_PATTERN, description="`#RRGGBB`.", examples=["#3366CC"])]
Name = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=50,
        pattern=NAME_PATTERN,
        description=(
            "1 to 50 characters, at least one visible; no control characters and no bidirectional "
            "overrides or isolates (U+202A-U+202E, U+2066-U+2069)."
        ),
        examples=["Captain Pixel"],
    ),
]
