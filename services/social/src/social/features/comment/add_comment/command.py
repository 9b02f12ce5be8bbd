from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from fleetkit.ids import utcnow


class AddComment(msgspec.Struct, frozen=True):
    post_id: UUID
    author_id: UUID
    text: str
    #: When the comment is made: the request's arrival unless a test or import gives the instant.
    at: datetime = msgspec.field(default_factory=utcnow)
