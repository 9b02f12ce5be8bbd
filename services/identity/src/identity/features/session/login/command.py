from __future__ import annotations

import msgspec


class LogIn(msgspec.Struct, frozen=True):
    email: str
    password: str
