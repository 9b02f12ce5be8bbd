from __future__ import annotations

import msgspec


class RefreshSession(msgspec.Struct, frozen=True):
    refresh_token: str
