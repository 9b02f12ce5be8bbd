"""The kit's public functions and methods name what they return: no ``Any`` in a return annotation."""

from __future__ import annotations

from conftest import Plant
from fleet_standards.allowlists import ANY_RETURNS
from fleet_standards.core import KIT_SRC, module_name, python_files
from fleet_standards.kit_types import check_public_returns


def test_no_public_kit_function_returns_any() -> None:
    found = check_public_returns(python_files([KIT_SRC / "fleetkit"]))
    assert not found, "\n".join(map(str, found))


def test_every_any_return_allowance_is_still_needed() -> None:
    unallowed = check_public_returns(python_files([KIT_SRC / "fleetkit"]), ())
    named = {f"{module_name(v.path)}:{v.message.split(' returns')[0]}" for v in unallowed}
    assert set(ANY_RETURNS) <= named, f"stale entries: {sorted(set(ANY_RETURNS) - named)}"


_PLANTED = """
from typing import Any
import typing

def loose() -> Any: ...
async def nested(x: int) -> dict[str, Any]: ...
def quoted() -> "list[typing.Any]": ...
def fine() -> int: ...
def _private() -> Any: ...

class Pool:
    def fetch(self) -> Any | None: ...
    def __await__(self) -> Any: ...
    def _lend(self) -> Any: ...
    def size(self) -> int: ...

class _Hidden:
    def fetch(self) -> Any: ...
"""


def test_the_check_catches_planted_any_returns(plant: Plant) -> None:
    src = plant({"fleetkit/planted.py": _PLANTED})
    found = check_public_returns(python_files([src]), ())
    assert sorted((v.line, v.message.split(" returns")[0]) for v in found) == [
        (4, "loose"),
        (5, "nested"),
        (6, "quoted"),
        (11, "Pool.fetch"),
    ]
    assert all(v.rule == "kit-any-return" for v in found)
    allowed = check_public_returns(python_files([src]), ("fleetkit.planted:loose",))
    assert "loose" not in {v.message.split(" returns")[0] for v in allowed}
