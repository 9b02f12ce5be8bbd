"""The shared name and text rules: what counts as visible, what a name refuses, and that the
patterns are portable (no Python-only escapes) so the OpenAPI document means the same."""

from __future__ import annotations

import re
from typing import Annotated

import msgspec
import pytest

from fleetkit.text import NAME_PATTERN, TEXT_PATTERN

INVISIBLE_ONLY = [
    "\u200b",  # zero-width space
    "\u200b\u200c\u200d",  # zero-width space, non-joiner, joiner
    "\u2060\ufeff",  # word joiner, BOM
    " \u00ad ",  # spaces around a soft hyphen
    "\u3164\u115f",  # Hangul fillers
    "\u2800",  # braille blank
    "\ufe0f\u200e",  # a variation selector, a left-to-right mark
    "\u3000\u00a0\t",  # ideographic and no-break spaces, a tab
]
BIDI_OVERRIDES = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


def _decoder(pattern: str) -> msgspec.json.Decoder[str]:
    return msgspec.json.Decoder(Annotated[str, msgspec.Meta(pattern=pattern)])


@pytest.mark.parametrize("value", INVISIBLE_ONLY)
@pytest.mark.parametrize("pattern", [NAME_PATTERN, TEXT_PATTERN], ids=["name", "text"])
def test_a_value_of_only_invisible_characters_fails_the_visible_rule(pattern, value):
    assert re.search(pattern, value) is None
    with pytest.raises(msgspec.ValidationError):
        _decoder(pattern).decode(msgspec.json.encode(value))


@pytest.mark.parametrize("override", BIDI_OVERRIDES)
def test_a_name_refuses_bidirectional_overrides_and_isolates_anywhere(override):
    assert re.search(NAME_PATTERN, f"Captain{override} Pixel") is None


@pytest.mark.parametrize("override", BIDI_OVERRIDES)
def test_a_text_keeps_bidirectional_controls_as_prose_needs_them(override):
    assert re.search(TEXT_PATTERN, f"quote {override}\u05e9\u05dc\u05d5\u05dd\u202c done") is not None


@pytest.mark.parametrize(
    "value", ["Captain Pixel", "\u05e9\u05dc\u05d5\u05dd\u200f", "a\u200bb", "\U0001f600", "Zo\u00eb", "\u7530\u4e2d"]
)
def test_ordinary_names_with_some_visible_character_pass(value):
    assert re.search(NAME_PATTERN, value) is not None
    assert re.search(TEXT_PATTERN, value) is not None


def test_names_still_refuse_control_characters_and_texts_a_nul():
    assert re.search(NAME_PATTERN, "bad\nname") is None
    assert re.search(NAME_PATTERN, "bad\x7fname") is None
    assert re.search(TEXT_PATTERN, "fine\x00then") is None
    assert re.search(TEXT_PATTERN, "two\nlines") is not None


@pytest.mark.parametrize("pattern", [NAME_PATTERN, TEXT_PATTERN], ids=["name", "text"])
def test_the_patterns_use_only_escapes_an_ecma_engine_reads_the_same(pattern):
    assert re.search(r"\\[UNpPx](?![0-9a-f]{2})|\\U", pattern) is None
