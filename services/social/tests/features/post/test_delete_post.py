from __future__ import annotations

from fleetkit.ids import new_id
from social.features.comment.add_comment.command import AddComment
from social.features.comment.add_comment.handler import add_comment
from social.features.like.like_post.command import LikePost
from social.features.like.like_post.handler import like_post
from social.features.post.delete_post.command import DeletePost
from social.features.post.delete_post.handler import PostDeleted, delete_post
from social.features.post.publish_post.command import PublishPost
from social.features.post.publish_post.handler import publish_post
from social.posts import PostNotFound


async def publish(pool, directory, bearer, author):
    return await publish_post(PublishPost(author, "hello", None, bearer), pool=pool, avatars=directory)


async def test_the_author_deletes_a_post_with_its_likes_comments_and_feed_entry(pool, directory, bearer):
    author = new_id()
    post = await publish(pool, directory, bearer, author)
    await like_post(LikePost(post.id, new_id()), pool=pool)
    await add_comment(AddComment(post.id, new_id(), "nice"), pool=pool)
    assert isinstance(await delete_post(DeletePost(post.id, author), pool=pool), PostDeleted)
    for table in ("posts", "likes", "comments", "feed_entries"):
        assert await pool.fetchval(f"SELECT count(*) FROM {table}") == 0, table


async def test_someone_elses_post_is_not_found_for_the_caller_and_stays(pool, directory, bearer):
    post = await publish(pool, directory, bearer, new_id())
    assert await delete_post(DeletePost(post.id, new_id()), pool=pool) == PostNotFound()
    assert await pool.fetchval("SELECT count(*) FROM posts") == 1


async def test_deleting_an_unknown_post_says_not_found(pool):
    assert await delete_post(DeletePost(new_id(), new_id()), pool=pool) == PostNotFound()


async def test_delete_v1_posts_answers_204_and_404_also_for_someone_elses_post(client, token_for):
    author = new_id()
    mine = {"Authorization": f"Bearer {token_for(author)}"}
    theirs = {"Authorization": f"Bearer {token_for(new_id())}"}
    post_id = (await client.post("/v1/posts", json={"text": "bye"}, headers=mine)).json()["id"]
    forbidden = await client.delete(f"/v1/posts/{post_id}", headers=theirs)
    assert forbidden.status_code == 404
    assert forbidden.headers["content-type"] == "application/problem+json"
    assert (await client.delete(f"/v1/posts/{post_id}", headers=mine)).status_code == 204
    missing = await client.delete(f"/v1/posts/{post_id}", headers=mine)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert forbidden.content == missing.content, "someone else's post answers exactly like a missing one"


async def test_delete_v1_posts_with_a_malformed_id_is_a_client_error_problem(client, token_for):
    response = await client.delete("/v1/posts/not-a-uuid", headers={"Authorization": f"Bearer {token_for(new_id())}"})
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"] == "application/problem+json"
