from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from fleetkit.db import KitPool
from social.features.reputation.score_user.command import ScoreUser
from social.features.reputation.score_user.queries import SELECT_REPUTATION


class Reputation(msgspec.Struct, frozen=True):
    user_id: UUID
    score: float
    posts: int
    comments: int
    computed_at: datetime


async def score_user(cmd: ScoreUser, *, pool: KitPool) -> Reputation:
    """Reputation of ``cmd.user_id`` at ``cmd.now``, the standards' engagement algorithm.

    Algorithm (computed in SQL, one row back):

        score = min(1000, round(10 * raw, 2))
        raw   = sum over the user's posts    of  w(p) * decay(age(p))
              + sum over the user's comments of  0.5  * decay(age(c))
        w(p)  = 2 if the post has more than 100 likes, else 1
        decay(age) = 0.5 ** (age_days / 7)     (halves every 7 days; 1 for a brand-new item)
        age   = now - created_at, in days (fractional)

    So a fresh post is worth 10 points, a fresh popular post 20, a fresh comment 5, each halving
    every week. Items and likes created after ``now`` do not count, so a fixed ``now`` gives a
    reproducible score. A user social has never seen scores 0 (social does not own accounts).
    """
    score, posts, comments = await pool.fetchrow(SELECT_REPUTATION, cmd.user_id, cmd.now)
    return Reputation(cmd.user_id, score, posts, comments, cmd.now)
