from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from litestar import get
from litestar.params import Parameter

from fleetkit.app import Slice
from fleetkit.di import DbPool
from fleetkit.ids import utcnow
from fleetkit.responses import Response
from social.features.reputation.score_user.command import ScoreUser
from social.features.reputation.score_user.handler import score_user
from social.features.reputation.score_user.schema import ReputationResponse


@get(
    "/v1/users/{user_id:uuid}/reputation",
    tags=["reputation"],
    summary="A user's reputation, 0 to 1000: likes and comments their posts received, halving every 7 days.",
)
async def reputation(
    user_id: Annotated[UUID, Parameter(description="Any user's id.")],
    pool: DbPool,
) -> Response[ReputationResponse]:
    outcome = await score_user(ScoreUser(user_id, utcnow()), pool=pool)
    return Response(msgspec.convert(outcome, ReputationResponse, from_attributes=True))


plugin = Slice(reputation)
