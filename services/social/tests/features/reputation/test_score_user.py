"""Reputation end to end: posts, likes and comments made through their own slices' handlers by
distinct users, at chosen instants (the commands carry the instant), scored at a fixed "now".

Every expected score is worked out by hand from the formula in the handler's docstring:
score = round(1000 * (1 - exp(-raw / 200)), 2).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from fleetkit.ids import new_id
from social.features.comment.add_comment.command import AddComment
from social.features.comment.add_comment.handler import add_comment
from social.features.like.like_post.command import LikePost
from social.features.like.like_post.handler import like_post
from social.features.post.publish_post.command import PublishPost
from social.features.post.publish_post.handler import publish_post
from social.features.reputation.score_user.command import ScoreUser
from social.features.reputation.score_user.handler import Reputation, score_user

NOW = datetime(2030, 3, 1, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
def publish(pool, directory, bearer):
    async def run(author: UUID) -> UUID:
        return (await publish_post(PublishPost(author, "a post", None, bearer), pool=pool, avatars=directory)).id

    return run


async def likes(pool, post_id: UUID, count: int, at: datetime) -> None:
    for _ in range(count):
        await like_post(LikePost(post_id, new_id(), at), pool=pool)


async def comment(pool, post_id: UUID, at: datetime, author: UUID | None = None) -> None:
    await add_comment(AddComment(post_id, author or new_id(), "nice", at), pool=pool)


async def score(pool, user: UUID, now: datetime = NOW) -> Reputation:
    return await score_user(ScoreUser(user, now), pool=pool)


async def test_a_post_with_101_likes_weighs_its_likes_twice_and_one_with_100_does_not(pool, publish):
    hundred, hundred_and_one = new_id(), new_id()
    await likes(pool, await publish(hundred), 100, NOW)
    await likes(pool, await publish(hundred_and_one), 101, NOW)
    # raw 100 * 1 -> 1000 * (1 - e^-0.5) = 393.47; raw 101 * 2 = 202 -> 1000 * (1 - e^-1.01) = 635.78
    assert await score(pool, hundred) == Reputation(hundred, 393.47, posts=1, likes=100, comments=0, computed_at=NOW)
    assert (await score(pool, hundred_and_one)).score == 635.78


async def test_likes_and_comments_decay_by_their_own_age_and_comments_weigh_half(pool, publish):
    user = new_id()
    popular, quiet = await publish(user), await publish(user)
    await likes(pool, popular, 101, NOW - 7 * DAY)  # 101 * 2 * 0.5 = 101
    await likes(pool, quiet, 100, NOW)  # 100 * 1 * 1 = 100
    await comment(pool, quiet, NOW)  # 0.5 * 1 = 0.5
    await comment(pool, popular, NOW - 14 * DAY)  # 0.5 * 0.25 = 0.125
    outcome = await score(pool, user)
    # raw 201.625 -> 1000 * (1 - e^-1.008125) = 635.10
    assert outcome == Reputation(user, 635.10, posts=2, likes=201, comments=2, computed_at=NOW)


@pytest.mark.parametrize(
    ("age_days", "expected"),
    [(0, 4.99), (1, 4.52), (7, 2.5), (14, 1.25)],  # 1000 * (1 - e^(-0.5^(age/7) / 200))
)
async def test_one_like_scores_exactly_by_its_age(pool, publish, age_days, expected):
    user = new_id()
    await likes(pool, await publish(user), 1, NOW - age_days * DAY)
    assert (await score(pool, user)).score == expected


async def test_one_comment_weighs_half_a_like(pool, publish):
    user = new_id()
    await comment(pool, await publish(user), NOW)  # raw 0.5 -> 2.50
    assert (await score(pool, user)).score == 2.5


async def test_posting_alone_earns_nothing_and_neither_does_self_engagement(pool, publish):
    user = new_id()
    post = await publish(user)
    await like_post(LikePost(post, user, NOW), pool=pool)
    await comment(pool, post, NOW, author=user)
    assert await score(pool, user) == Reputation(user, 0.0, posts=1, likes=0, comments=0, computed_at=NOW)


async def test_engagement_after_now_and_on_other_users_posts_does_not_count(pool, publish):
    user, other = new_id(), new_id()
    mine, theirs = await publish(user), await publish(other)
    await likes(pool, mine, 100, NOW)
    await likes(pool, mine, 1, NOW + DAY)  # the 101st like, but after "now": no 2x weight yet
    await comment(pool, mine, NOW + DAY)
    await likes(pool, theirs, 5, NOW)
    assert (await score(pool, user)).score == 393.47
    # A day later the 101st like and the comment exist: raw 2 * (100 * 0.5^(1/7) + 1) + 0.5 = 240.15
    later = await score(pool, user, NOW + DAY)
    assert (later.likes, later.comments, later.score) == (101, 1, 600.77)


async def test_the_score_saturates_below_1000(pool, publish):
    user = new_id()
    post = await publish(user)
    await pool.execute(
        "INSERT INTO likes (post_id, user_id, created_at) "
        "SELECT $1, gen_random_uuid(), $2 FROM generate_series(1, 3000)",
        post,
        NOW,
    )  # bulk, the like slice would take 3000 round trips: raw 6000 -> 1000 * (1 - e^-30)
    assert (await score(pool, user)).score == 1000.0


async def test_a_user_social_has_never_seen_scores_zero(pool):
    assert (await score(pool, new_id())).score == 0.0


async def test_get_reputation_answers_200_with_the_score(client, token_for):
    author, fan = new_id(), new_id()
    post_id = (
        await client.post("/v1/posts", json={"text": "x"}, headers={"Authorization": f"Bearer {token_for(author)}"})
    ).json()["id"]
    fan_headers = {"Authorization": f"Bearer {token_for(fan)}"}
    await client.put(f"/v1/posts/{post_id}/like", headers=fan_headers)
    response = await client.get(f"/v1/users/{author}/reputation", headers=fan_headers)
    assert response.status_code == 200
    body = response.json()
    # One like a few milliseconds old: 1000 * (1 - e^(-1/200)) = 4.99
    assert (body["user_id"], body["score"], body["posts"], body["likes"], body["comments"]) == (
        str(author),
        4.99,
        1,
        1,
        0,
    )
    assert body["computed_at"].endswith("Z")


async def test_get_reputation_of_a_malformed_id_is_a_client_error_problem(client, token_for):
    response = await client.get("/v1/users/nope/reputation", headers={"Authorization": f"Bearer {token_for(new_id())}"})
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"] == "application/problem+json"
