from __future__ import annotations

from fleetkit.ids import new_id
from social.features.comment.add_comment.command import AddComment
from social.features.comment.add_comment.handler import add_comment
from social.features.comment.delete_comment.command import DeleteComment
from social.features.comment.delete_comment.handler import (
    CommentDeleted,
    CommentNotFound,
    NotYourComment,
    delete_comment,
)
from social.features.post.publish_post.command import PublishPost
from social.features.post.publish_post.handler import publish_post


async def test_the_author_deletes_a_comment_and_the_count_follows(pool, directory, bearer):
    post = await publish_post(PublishPost(new_id(), "hi", None, bearer), pool=pool, avatars=directory)
    author = new_id()
    comment = await add_comment(AddComment(post.id, author, "x"), pool=pool)
    assert isinstance(await delete_comment(DeleteComment(comment.id, new_id()), pool=pool), NotYourComment)
    assert isinstance(await delete_comment(DeleteComment(comment.id, author), pool=pool), CommentDeleted)
    assert isinstance(await delete_comment(DeleteComment(comment.id, author), pool=pool), CommentNotFound)
    assert await pool.fetchval("SELECT comment_count FROM feed_entries") == 0


async def test_delete_v1_comments_answers_204_and_404_also_for_someone_elses_comment(client, token_for):
    mine = {"Authorization": f"Bearer {token_for(new_id())}"}
    theirs = {"Authorization": f"Bearer {token_for(new_id())}"}
    post_id = (await client.post("/v1/posts", json={"text": "x"}, headers=mine)).json()["id"]
    comment_id = (await client.post(f"/v1/posts/{post_id}/comments", json={"text": "y"}, headers=mine)).json()["id"]
    assert (await client.delete(f"/v1/comments/{comment_id}", headers=theirs)).status_code == 404
    assert (await client.delete(f"/v1/comments/{comment_id}", headers=mine)).status_code == 204
    assert (await client.delete(f"/v1/comments/{comment_id}", headers=mine)).status_code == 404
