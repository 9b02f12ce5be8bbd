from __future__ import annotations

import msgspec


class RegisterAccount(msgspec.Struct, frozen=True):
    email: str
    password: str
