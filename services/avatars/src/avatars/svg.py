"""Deterministic, embed-safe SVG drawings of avatars.

The same attributes always give the same bytes (accessories are drawn in catalogue order, not
request order), so the ETag is a hash of the drawing. Only the avatar's name is user text, and
it is XML-escaped; every other fragment comes from the fixed tables below, and colours are
re-checked against ``#RRGGBB`` before they reach an attribute. No scripts, no external
references, no ``foreignObject``: safe to serve from ``<img>`` and to inline.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from types import MappingProxyType
from typing import Protocol
from xml.sax.saxutils import escape

from avatars.catalogue import ACCESSORIES, COLOUR_PATTERN

__all__ = ["SVG_MEDIA_TYPE", "Design", "Drawing", "draw", "drawing_of", "etag_of", "initials"]

SVG_MEDIA_TYPE = "image/svg+xml"
_COLOUR = re.compile(COLOUR_PATTERN)
_FALLBACK_COLOUR = "#888888"
_ENTITIES = MappingProxyType({'"': "&quot;", "'": "&apos;"})

_SHAPES = MappingProxyType(
    {
        "circle": '<circle cx="64" cy="64" r="60" fill="{bg}"/>',
        "square": '<rect x="4" y="4" width="120" height="120" fill="{bg}"/>',
        "rounded": '<rect x="4" y="4" width="120" height="120" rx="28" fill="{bg}"/>',
        "hexagon": '<polygon points="64,4 116,34 116,94 64,124 12,94 12,34" fill="{bg}"/>',
        "diamond": '<polygon points="64,2 126,64 64,126 2,64" fill="{bg}"/>',
    }
)
_ACCESSORIES = MappingProxyType(
    {
        "glasses": (
            '<g fill="none" stroke="{accent}" stroke-width="3"><circle cx="50" cy="56" r="9"/>'
            '<circle cx="78" cy="56" r="9"/><path d="M59 56h10"/></g>'
        ),
        "hat": '<path d="M34 30h60l-8-22H42z M24 30h80v6H24z" fill="{accent}"/>',
        "bowtie": '<path d="M50 104l14 6 14-6v16l-14-6-14 6z" fill="{accent}"/>',
        "earrings": ('<circle cx="30" cy="74" r="4" fill="{accent}"/><circle cx="98" cy="74" r="4" fill="{accent}"/>'),
        "crown": '<path d="M40 30l8-18 16 12 16-12 8 18z" fill="{accent}"/>',
        "headphones": (
            '<path d="M28 64a36 36 0 0 1 72 0" fill="none" stroke="{accent}" stroke-width="5"/>'
            '<rect x="22" y="60" width="10" height="18" fill="{accent}"/>'
            '<rect x="96" y="60" width="10" height="18" fill="{accent}"/>'
        ),
        "mustache": '<path d="M48 84q16-10 32 0q-16 4-32 0z" fill="{accent}"/>',
    }
)
_FACE = (
    '<circle cx="64" cy="64" r="34" fill="{fg}"/>'
    '<circle cx="52" cy="58" r="4" fill="{bg}"/><circle cx="76" cy="58" r="4" fill="{bg}"/>'
)
_LABEL = '<text x="64" y="120" font-family="sans-serif" font-size="14" text-anchor="middle" fill="{fg}">{text}</text>'


class Drawing:
    """What a drawing needs; missing draft steps are ``None`` and drawn with neutral defaults."""

    __slots__ = ("accent", "accessories", "background", "foreground", "name", "shape")

    def __init__(
        self,
        *,
        shape: str | None,
        background: str | None,
        foreground: str | None,
        accent: str | None,
        accessories: Iterable[str] | None,
        name: str | None,
    ) -> None:
        self.shape = shape or "circle"
        self.background = _safe_colour(background, "#D9D9D9")
        self.foreground = _safe_colour(foreground, "#FFFFFF")
        self.accent = _safe_colour(accent, "#555555")
        self.accessories = frozenset(accessories or ())
        self.name = name or ""


class Design(Protocol):
    """What an avatar or a draft shows: its attributes by their column names."""

    @property
    def shape(self) -> str | None: ...
    @property
    def color_background(self) -> str | None: ...
    @property
    def color_foreground(self) -> str | None: ...
    @property
    def color_accent(self) -> str | None: ...
    @property
    def accessories(self) -> Sequence[str] | None: ...
    @property
    def name(self) -> str | None: ...


def drawing_of(design: Design) -> Drawing:
    return Drawing(
        shape=design.shape,
        background=design.color_background,
        foreground=design.color_foreground,
        accent=design.color_accent,
        accessories=design.accessories,
        name=design.name,
    )


def _safe_colour(value: str | None, default: str) -> str:
    if value is None:
        return default
    return value.upper() if _COLOUR.match(value) else _FALLBACK_COLOUR


def initials(name: str) -> str:
    """Up to two initials (first letter of the first two words), upper-cased."""
    return "".join(word[0] for word in name.split()[:2]).upper()


def draw(d: Drawing) -> str:
    colours = {"bg": d.background, "fg": d.foreground, "accent": d.accent}
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 128 128" width="128" height="128" role="img">',
        f"<title>{escape(d.name or 'Avatar', _ENTITIES)}</title>",
        _SHAPES.get(d.shape, _SHAPES["circle"]).format(**colours),
        _FACE.format(**colours),
    ]
    parts += [_ACCESSORIES[a].format(**colours) for a in ACCESSORIES if a in d.accessories]
    label = initials(d.name)
    if label:
        parts.append(_LABEL.format(fg=d.foreground, text=escape(label, _ENTITIES)))
    parts.append("</svg>")
    return "".join(parts)


def etag_of(svg: str) -> str:
    """A strong ETag: the drawing is deterministic, so equal bytes mean equal attributes."""
    return '"' + hashlib.sha256(svg.encode()).hexdigest()[:32] + '"'
