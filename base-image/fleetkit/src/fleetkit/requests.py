"""``KitRequest``: Litestar's request, with a body that is not UTF-8 refused as bad input.

msgspec raises ``UnicodeDecodeError`` (not its ``DecodeError``) for invalid UTF-8 inside a JSON
string, and Litestar only turns ``DecodeError`` into a 400: the same byte outside a string was a
400, inside one a 500. The kit's apps use this class (Litestar's public ``request_class``), so
either way the client gets a 400 problem that says what is wrong with its body.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import SerializationException

__all__ = ["KitRequest"]


class KitRequest(Request[Any, Any, Any]):
    __slots__ = ()

    async def json(self) -> object:
        try:
            return await super().json()
        except UnicodeDecodeError as exc:
            msg = f"The request body is not valid UTF-8: a string holds a bad byte sequence ({exc.reason})."
            raise SerializationException(msg) from exc
