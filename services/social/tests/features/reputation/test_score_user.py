"""Reputation on fixed data and a fixed "now": every expected value is worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleetkit.ids import new_id
from social.features.reputation.score_user.command import ScoreUser
from social.features.reputation.score_user.handler import Reputation, score_user

NOW = datetime(2025, 3, 1, tzinfo=UTC)
DAY = timedelta(days=1)


async def add_post(pool, author, created_at, likes=0, late_likes=0):
    post_id = new_id()
    await pool.execute(
        "INSERT INTO posts (id, author_id, text, created_at) VALUES ($1, $2, 'p', $3)", post_id, author, created_at
    )
    await pool.execute(
        "INSERT INTO likes (post_id, user_id, created_at) SELECT $1, gen_random_uuid(), $2 FROM generate_series(1, $3)",
        post_id,
        created_at,
        likes,
    )
    await pool.execute(
        "INSERT INTO likes (post_id, user_id, created_at) SELECT $1, gen_random_uuid(), $2 FROM generate_series(1, $3)",
        post_id,
        NOW + DAY,
        late_likes,
    )
    return post_id


async def add_comment(pool, author, post_id, created_at):
    await pool.execute(
        "INSERT INTO comments (id, post_id, author_id, text, created_at) VALUES ($1, $2, $3, 'c', $4)",
        new_id(),
        post_id,
        author,
        created_at,
    )


async def test_reputation_weighs_popular_posts_2x_comments_half_and_halves_every_7_days(pool):
    user, other = new_id(), new_id()
    fresh = await add_post(pool, user, NOW)  # 1 * 1
    await add_post(pool, user, NOW - 7 * DAY, likes=101)  # 2 * 0.5 = 1
    await add_post(pool, user, NOW - 14 * DAY, likes=100, late_likes=1)  # 1 * 0.25 (the 101st like is after now)
    await add_post(pool, user, NOW + DAY)  # after now: ignored
    await add_post(pool, other, NOW, likes=500)  # someone else's: ignored
    await add_comment(pool, user, fresh, NOW - 7 * DAY)  # 0.5 * 0.5 = 0.25
    await add_comment(pool, user, fresh, NOW - 3.5 * DAY)  # 0.5 * 0.5 ** 0.5 = 0.35355...
    await add_comment(pool, other, fresh, NOW)  # someone else's: ignored
    outcome = await score_user(ScoreUser(user, NOW), pool=pool)
    # 10 * (1 + 1 + 0.25 + 0.25 + 0.3535534) = 28.535534 -> 28.54
    assert outcome == Reputation(user, 28.54, posts=3, comments=2, computed_at=NOW)


@pytest.mark.parametrize(
    ("age_days", "likes", "score"),
    [(0, 0, 10.0), (7, 0, 5.0), (14, 0, 2.5), (21, 0, 1.25), (7, 100, 5.0), (7, 101, 10.0), (1, 0, 9.06)],
)
async def test_one_post_scores_exactly(pool, age_days, likes, score):
    user = new_id()
    await add_post(pool, user, NOW - age_days * DAY, likes=likes)
    assert (await score_user(ScoreUser(user, NOW), pool=pool)).score == score


async def test_reputation_is_capped_at_1000(pool):
    user = new_id()
    await pool.execute(
        "INSERT INTO posts (id, author_id, text, created_at) SELECT gen_random_uuid(), $1, 'p', $2 "
        "FROM generate_series(1, 150)",
        user,
        NOW,
    )
    outcome = await score_user(ScoreUser(user, NOW), pool=pool)
    assert (outcome.score, outcome.posts) == (1000.0, 150)


async def test_a_user_social_has_never_seen_scores_zero(pool):
    assert (await score_user(ScoreUser(new_id(), NOW), pool=pool)).score == 0.0


async def test_get_reputation_answers_200_with_the_score(client, token_for):
    author = new_id()
    headers = {"Authorization": f"Bearer {token_for(author)}"}
    await client.post("/v1/posts", json={"text": "x"}, headers=headers)
    response = await client.get(f"/v1/users/{author}/reputation", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert (body["user_id"], body["score"], body["posts"], body["comments"]) == (str(author), 10.0, 1, 0)
    assert body["computed_at"].endswith("Z")


async def test_get_reputation_of_a_malformed_id_is_a_client_error_problem(client, token_for):
    response = await client.get("/v1/users/nope/reputation", headers={"Authorization": f"Bearer {token_for(new_id())}"})
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"] == "application/problem+json"
