"""The caller's bearer credential, carried (never logged, never stored) to call avatars on their behalf.

Avatars verifies tokens itself, so social forwards the one the request came with. The wrapper
keeps the raw value out of ``repr``/``str`` so no log line, traceback or assertion message can
print it; only :meth:`header` reveals it, to build the outgoing ``Authorization`` header.
"""

from __future__ import annotations

__all__ = ["BearerToken"]


class BearerToken:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def header(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._value}"}

    def __repr__(self) -> str:
        return "BearerToken(<redacted>)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BearerToken) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)
