from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from fleetkit.ids import utcnow


class LikePost(msgspec.Struct, frozen=True):
    post_id: UUID
    user_id: UUID
    #: When the like happens: the request's arrival unless a test or import gives the instant.
    at: datetime = msgspec.field(default_factory=utcnow)
