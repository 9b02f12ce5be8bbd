from __future__ import annotations

from uuid import UUID

import msgspec


class CloseSession(msgspec.Struct, frozen=True):
    refresh_token: str
    account_id: UUID
