from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec


class MeResponse(msgspec.Struct):
    id: UUID
    email: str
    created_at: datetime
