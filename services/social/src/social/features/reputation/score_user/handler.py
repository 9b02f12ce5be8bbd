from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from fleetkit.connection import one_row
from fleetkit.db import KitPool
from social.features.reputation.score_user.command import ScoreUser
from social.features.reputation.score_user.queries import SELECT_REPUTATION


class Reputation(msgspec.Struct, frozen=True):
    user_id: UUID
    score: float
    posts: int
    likes: int
    comments: int
    computed_at: datetime


async def score_user(cmd: ScoreUser, *, pool: KitPool) -> Reputation:
    """Reputation of ``cmd.user_id`` at ``cmd.now``: the engagement their posts received.

    Algorithm (one SQL statement, one row back)::

        raw   = sum over likes l on the user's posts    of  w(post(l)) * d(l)
              + sum over comments c on the user's posts of  0.5        * d(c)
        w(p)  = 2 if p has more than 100 likes, else 1
        d(x)  = 0.5 ** (age_days(x) / 7)      (age of the like or comment itself, at ``now``)
        score = round(1000 * (1 - exp(-raw / 200)), 2)        (0 <= score < 1000)

    Only other users' likes and comments count (liking or commenting on one's own post earns
    nothing), and only those that existed at ``now``, so a fixed ``now`` gives a fixed score.

    Why the saturating curve and not ``min(1000, k * raw)``: a cap makes every active user an
    equal 1000 and stops engagement from mattering past it; the curve is strictly increasing,
    never leaves 0..1000, and is near linear for small accounts (a fresh like from someone else
    adds about 5 points; 200 * ln 2, about 139 fresh likes, is half the scale; about 600 is
    95%). A post's 101st like doubles the weight of all its likes, so 101 fresh likes
    (raw 202, score 635.78) are worth far more than 100 (raw 100, score 393.47): the standards'
    "popular posts weigh 2x" rule, read literally.
    """
    row = one_row(await pool.fetchrow(SELECT_REPUTATION, cmd.user_id, cmd.now))
    return Reputation(user_id=cmd.user_id, computed_at=cmd.now, **row)
