from __future__ import annotations

from fleetkit.ids import new_id
from social.features.like.like_post.command import LikePost
from social.features.like.like_post.handler import like_post
from social.features.like.unlike_post.command import UnlikePost
from social.features.like.unlike_post.handler import PostUnliked, unlike_post
from social.features.post.publish_post.command import PublishPost
from social.features.post.publish_post.handler import publish_post
from social.posts import PostNotFound


async def test_unliking_removes_only_the_callers_like_and_is_idempotent(pool, directory, bearer):
    post = await publish_post(PublishPost(new_id(), "hi", None, bearer), pool=pool, avatars=directory)
    me, other = new_id(), new_id()
    await like_post(LikePost(post.id, me), pool=pool)
    await like_post(LikePost(post.id, other), pool=pool)
    assert await unlike_post(UnlikePost(post.id, me), pool=pool) == PostUnliked(post.id, 1)
    assert await unlike_post(UnlikePost(post.id, me), pool=pool) == PostUnliked(post.id, 1)
    assert await pool.fetchval("SELECT user_id FROM likes") == other


async def test_unliking_an_unknown_post_says_not_found(pool):
    assert await unlike_post(UnlikePost(new_id(), new_id()), pool=pool) == PostNotFound()


async def test_delete_like_answers_200_with_liked_false(client, token_for):
    headers = {"Authorization": f"Bearer {token_for(new_id())}"}
    post_id = (await client.post("/v1/posts", json={"text": "x"}, headers=headers)).json()["id"]
    await client.put(f"/v1/posts/{post_id}/like", headers=headers)
    response = await client.delete(f"/v1/posts/{post_id}/like", headers=headers)
    assert response.status_code == 200
    assert response.json() == {"post_id": post_id, "liked": False, "like_count": 0}
    assert (await client.delete(f"/v1/posts/{new_id()}/like", headers=headers)).status_code == 404
