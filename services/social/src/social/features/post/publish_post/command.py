from __future__ import annotations

from uuid import UUID

import msgspec

from social.bearer import BearerToken


class PublishPost(msgspec.Struct, frozen=True):
    author_id: UUID
    text: str
    avatar_id: UUID | None
    bearer: BearerToken
