from __future__ import annotations

from fleetkit.ids import new_id
from social.features.like.like_post.command import LikePost
from social.features.like.like_post.handler import PostLiked, like_post
from social.features.post.publish_post.command import PublishPost
from social.features.post.publish_post.handler import publish_post
from social.posts import PostNotFound


async def test_liking_twice_is_one_like(pool, directory, bearer):
    post = await publish_post(PublishPost(new_id(), "hi", None, bearer), pool=pool, avatars=directory)
    user = new_id()
    first = await like_post(LikePost(post.id, user), pool=pool)
    again = await like_post(LikePost(post.id, user), pool=pool)
    assert first == again == PostLiked(post.id, 1)
    other = await like_post(LikePost(post.id, new_id()), pool=pool)
    assert other == PostLiked(post.id, 2)
    assert await pool.fetchval("SELECT count(*) FROM likes") == 2
    assert await pool.fetchval("SELECT like_count FROM feed_entries") == 2


async def test_liking_an_unknown_post_says_not_found(pool):
    assert await like_post(LikePost(new_id(), new_id()), pool=pool) == PostNotFound()


async def test_put_like_answers_200_with_the_count_and_404_for_no_post(client, token_for):
    headers = {"Authorization": f"Bearer {token_for(new_id())}"}
    post_id = (await client.post("/v1/posts", json={"text": "x"}, headers=headers)).json()["id"]
    for _ in range(2):
        response = await client.put(f"/v1/posts/{post_id}/like", headers=headers)
        assert response.status_code == 200
        assert response.json() == {"post_id": post_id, "liked": True, "like_count": 1}
    missing = await client.put(f"/v1/posts/{new_id()}/like", headers=headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
