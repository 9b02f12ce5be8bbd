from __future__ import annotations

import msgspec


class OpenSession(msgspec.Struct, frozen=True):
    email: str
    password: str
