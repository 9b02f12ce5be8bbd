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
                "round(1000 * (1 - exp(-raw / 200)), 2), raw = sum over other users' likes on the "
                "user's posts of w * 0.5^(age_days/7) + sum over other users' comments on them of "
                "0.5 * 0.5^(age_days/7); w = 2 for a post with more than 100 likes, else 1; the "
                "age is the like's or comment's own. See docs/reputation.md."
            ),
            examples=[4.99],
        ),
    ]
    posts: Annotated[int, msgspec.Meta(ge=0, description="The user's posts whose engagement is counted.")]
    comments: Annotated[int, msgspec.Meta(ge=0, description="Comments counted: other users' comments on those posts.")]
    computed_at: datetime
    likes: Annotated[int, msgspec.Meta(ge=0, description="Likes counted: other users' likes on those posts.")] = 0
