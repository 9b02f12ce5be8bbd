"""Social's view of the avatars service: ``POST /v1/avatars/batch-get`` through a kit Peer.

batch-get is a read, so it is idempotent and retried (within the deadline) by the kit's Peer,
behind the avatars breaker. Results are values: the cards found (unknown ids are simply absent),
or :class:`AvatarsUnavailable` when avatars cannot answer now; a 4xx (say, an expired token) is
also ``AvatarsUnavailable`` for the caller, but it is not counted against the breaker.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import msgspec

from fleetkit.logging import get_logger
from fleetkit.peers import Peer, PeerUnavailable
from social.bearer import BearerToken

__all__ = ["BATCH_MAX", "AvatarCard", "AvatarDirectory", "AvatarsUnavailable"]

BATCH_MAX = 100
BATCH_GET_PATH = "/v1/avatars/batch-get"
log = get_logger("social.avatars")


class AvatarCard(msgspec.Struct, frozen=True):
    id: UUID
    owner_id: UUID
    name: str
    render_url: str
    updated_at: datetime


class _BatchGetRequest(msgspec.Struct, frozen=True):
    ids: list[UUID]


class _BatchGetResponse(msgspec.Struct):
    avatars: list[AvatarCard]


class AvatarsUnavailable(msgspec.Struct, frozen=True):
    reason: str
    retry_after_s: int = 1


class AvatarDirectory:
    __slots__ = ("_peer",)

    def __init__(self, peer: Peer) -> None:
        self._peer = peer

    @property
    def peer(self) -> Peer:
        return self._peer

    async def batch_get(self, ids: Sequence[UUID], bearer: BearerToken) -> list[AvatarCard] | AvatarsUnavailable:
        """The cards of ``ids`` (at most BATCH_MAX) that exist; absent ids are unknown to avatars."""
        if not ids:
            return []
        body = msgspec.json.encode(_BatchGetRequest(list(ids[:BATCH_MAX])))
        headers = {**bearer.header(), "Content-Type": "application/json"}
        answer = await self._peer.call("POST", BATCH_GET_PATH, body=body, headers=headers, idempotent=True)
        if isinstance(answer, PeerUnavailable):
            return AvatarsUnavailable(answer.reason, answer.retry_after_s)
        if answer.status != 200:
            log.warning("avatars_refused", status=answer.status)
            return AvatarsUnavailable(f"http_{answer.status}")
        try:
            return msgspec.json.decode(answer.body, type=_BatchGetResponse).avatars
        except msgspec.DecodeError:
            log.warning("avatars_bad_response", size=len(answer.body))
            return AvatarsUnavailable("bad_response")
