from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec


class ReputationResponse(msgspec.Struct):
    user_id: UUID
    score: Annotated[
        float,
        msgspec.Meta(
            ge=0,
            le=1000,
            description=(
                "min(1000, 10 * (sum over posts of w * 0.5^(age_days/7) + sum over comments of "
                "0.5 * 0.5^(age_days/7))), w = 2 for posts with more than 100 likes, else 1; "
                "rounded to 2 decimals."
            ),
            examples=[27.5],
        ),
    ]
    posts: Annotated[int, msgspec.Meta(ge=0, description="Posts counted.")]
    comments: Annotated[int, msgspec.Meta(ge=0, description="Comments counted.")]
    computed_at: datetime
