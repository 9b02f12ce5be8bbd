"""Regex building blocks for user-written names and texts, shared so every service means the same
by "visible" and refuses the same characters.

Each constant is the inside of a character class, written with ``\\uXXXX`` escapes only, so a
pattern built from them means the same to Python's ``re`` (msgspec's decoder) and to an
ECMA-262 engine reading the OpenAPI document (docs UI, fuzzers, generated clients).
"""

from __future__ import annotations

__all__ = ["BIDI_CONTROLS", "INVISIBLE", "NAME_PATTERN", "TEXT_PATTERN"]

#: Characters that draw nothing: whitespace (``\s``), Unicode's default-ignorable code points of
#: the BMP (soft hyphen, combining grapheme joiner, Arabic letter mark, Mongolian and other
#: variation selectors, zero-width space/joiners, directional marks and controls, word joiner
#: and invisible operators, BOM, specials U+FFF0-U+FFF8) and the blank letters that render as
#: nothing (Hangul fillers, Khmer inherent vowels, braille blank). A name or text made only of
#: these looks empty, so it fails the "at least one visible character" rule. (The astral
#: default-ignorables, such as tag characters, cannot be written portably in one pattern; they
#: are not listed.)
INVISIBLE = (
    r"\s\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    r"\u202a-\u202e\u2060-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
)

#: Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069). Refused in
#: names: a name is shown inline among other text, where an override visually reorders what
#: follows it (spoofed names, "Trojan source" style). Plain directional marks (LRM, RLM, ALM)
#: reorder nothing outside themselves and stay allowed, as right-to-left names need them.
BIDI_CONTROLS = r"\u202a-\u202e\u2066-\u2069"

#: A name: no control characters (C0, DEL; XML 1.0 cannot carry them even escaped), no
#: non-characters U+FFFE/U+FFFF, no bidirectional controls, and at least one visible character.
NAME_PATTERN = rf"^(?=.*[^{INVISIBLE}])[^\x00-\x1f\x7f\ufffe\uffff{BIDI_CONTROLS}]+$"

#: A free text (post, comment): no U+0000 (PostgreSQL's text cannot store it) and at least one
#: visible character. Bidirectional controls are allowed: mixed-direction prose needs them, and
#: a text is shown as a block of its own (clients isolate it, e.g. ``<bdi>``/``dir="auto"``).
TEXT_PATTERN = rf"^[^\x00]*[^\x00{INVISIBLE}][^\x00]*$"
