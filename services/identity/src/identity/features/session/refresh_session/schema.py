from __future__ import annotations

from typing import Annotated

import msgspec


class RefreshSessionRequest(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: Annotated[str, msgspec.Meta(min_length=16, max_length=128)]


class RefreshedTokensResponse(msgspec.Struct):
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"
