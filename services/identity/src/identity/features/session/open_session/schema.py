from __future__ import annotations

from typing import Annotated

import msgspec


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(min_length=1, max_length=254, examples=["alice@example.com"])]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class TokenPairResponse(msgspec.Struct):
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"
