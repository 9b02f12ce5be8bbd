from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from social.bearer import BearerToken


class ReadFeedPage(msgspec.Struct, frozen=True):
    after: UUID | None
    limit: int
    now: datetime
    bearer: BearerToken
