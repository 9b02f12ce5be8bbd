from __future__ import annotations

from fleetkit.ids import new_id
from social.features.comment.add_comment.command import AddComment
from social.features.comment.add_comment.handler import add_comment
from social.features.comment.delete_comment.command import DeleteComment
from social.features.comment.delete_comment.handler import CommentDeleted, CommentNotFound, delete_comment
from social.features.post.publish_post.command import PublishPost
from social.features.post.publish_post.handler import publish_post


async def test_the_author_deletes_a_comment_and_the_count_follows(pool, directory, bearer):
    post = await publish_post(PublishPost(new_id(), "hi", None, bearer), pool=pool, avatars=directory)
    author = new_id()
    comment = await add_comment(AddComment(post.id, author, "x"), pool=pool)
    assert await delete_comment(DeleteComment(comment.id, author), pool=pool) == CommentDeleted()
    assert await delete_comment(DeleteComment(comment.id, author), pool=pool) == CommentNotFound()
    assert await pool.fetchval("SELECT comment_count FROM feed_entries") == 0


async def test_someone_elses_comment_is_not_found_for_the_caller_and_stays(pool, directory, bearer):
    post = await publish_post(PublishPost(new_id(), "hi", None, bearer), pool=pool, avatars=directory)
    comment = await add_comment(AddComment(post.id, new_id(), "x"), pool=pool)
    assert await delete_comment(DeleteComment(comment.id, new_id()), pool=pool) == CommentNotFound()
    assert await pool.fetchval("SELECT count(*) FROM comments") == 1
    assert await pool.fetchval("SELECT comment_count FROM feed_entries") == 1


async def test_delete_v1_comments_answers_204_and_404_also_for_someone_elses_comment(client, token_for):
    mine = {"Authorization": f"Bearer {token_for(new_id())}"}
    theirs = {"Authorization": f"Bearer {token_for(new_id())}"}
    post_id = (await client.post("/v1/posts", json={"text": "x"}, headers=mine)).json()["id"]
    comment_id = (await client.post(f"/v1/posts/{post_id}/comments", json={"text": "y"}, headers=mine)).json()["id"]
    assert (await client.delete(f"/v1/comments/{comment_id}", headers=theirs)).status_code == 404
    assert (await client.delete(f"/v1/comments/{comment_id}", headers=mine)).status_code == 204
    assert (await client.delete(f"/v1/comments/{comment_id}", headers=mine)).status_code == 404


async def test_someone_elses_comment_answers_exactly_like_a_missing_one(client, token_for):
    """Ids of others reveal nothing: same status, headers that matter and body as an unknown id."""
    mine = {"Authorization": f"Bearer {token_for(new_id())}"}
    theirs = {"Authorization": f"Bearer {token_for(new_id())}"}
    post_id = (await client.post("/v1/posts", json={"text": "x"}, headers=mine)).json()["id"]
    comment_id = (await client.post(f"/v1/posts/{post_id}/comments", json={"text": "y"}, headers=mine)).json()["id"]
    not_theirs = await client.delete(f"/v1/comments/{comment_id}", headers=theirs)
    missing = await client.delete(f"/v1/comments/{new_id()}", headers=theirs)
    assert not_theirs.status_code == missing.status_code == 404
    assert not_theirs.headers["content-type"] == missing.headers["content-type"] == "application/problem+json"
    assert not_theirs.content == missing.content
