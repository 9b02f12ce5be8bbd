from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec


class ScoreUser(msgspec.Struct, frozen=True):
    user_id: UUID
    now: datetime
