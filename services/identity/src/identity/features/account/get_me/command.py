from __future__ import annotations

from uuid import UUID

import msgspec


class GetMe(msgspec.Struct, frozen=True):
    account_id: UUID
