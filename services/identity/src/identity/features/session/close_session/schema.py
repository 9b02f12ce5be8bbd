from __future__ import annotations

from typing import Annotated

import msgspec


class LogoutRequest(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: Annotated[str, msgspec.Meta(min_length=16, max_length=128)]
