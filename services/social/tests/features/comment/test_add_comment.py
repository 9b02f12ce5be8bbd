from __future__ import annotations

from fleetkit.ids import new_id
from social.features.comment.add_comment.command import AddComment
from social.features.comment.add_comment.handler import CommentAdded, add_comment
from social.features.post.publish_post.command import PublishPost
from social.features.post.publish_post.handler import publish_post
from social.posts import PostNotFound


async def test_a_comment_is_stored_and_counted_in_the_feed(pool, directory, bearer):
    post = await publish_post(PublishPost(new_id(), "hi", None, bearer), pool=pool, avatars=directory)
    author = new_id()
    outcome = await add_comment(AddComment(post.id, author, "nice one"), pool=pool)
    assert isinstance(outcome, CommentAdded)
    assert (outcome.post_id, outcome.author_id, outcome.text) == (post.id, author, "nice one")
    assert outcome.id.version == 7
    assert await pool.fetchval("SELECT comment_count FROM feed_entries") == 1


async def test_commenting_on_an_unknown_post_says_not_found(pool):
    assert await add_comment(AddComment(new_id(), new_id(), "x"), pool=pool) == PostNotFound()
    assert await pool.fetchval("SELECT count(*) FROM comments") == 0


async def test_post_comments_answers_201_404_and_names_a_bad_text(client, token_for):
    headers = {"Authorization": f"Bearer {token_for(new_id())}"}
    post_id = (await client.post("/v1/posts", json={"text": "x"}, headers=headers)).json()["id"]
    created = await client.post(f"/v1/posts/{post_id}/comments", json={"text": "first!"}, headers=headers)
    assert created.status_code == 201
    assert created.json()["post_id"] == post_id
    mixed = await client.post(f"/v1/posts/{post_id}/comments", json={"text": "\u2067\u05e9\u2069 ok"}, headers=headers)
    assert mixed.status_code == 201  # bidirectional isolates are prose in a text, refused only in names
    missing = await client.post(f"/v1/posts/{new_id()}/comments", json={"text": "x"}, headers=headers)
    assert missing.status_code == 404
    bodies = (
        {"text": "x" * 1001},
        {"text": ""},
        {"text": "a\u0000b"},
        {"text": "\u200b"},
        {"text": "ok", "post_id": post_id},
    )
    for body in bodies:
        bad = await client.post(f"/v1/posts/{post_id}/comments", json=body, headers=headers)
        assert bad.status_code == 400, body
        assert bad.headers["content-type"] == "application/problem+json"
        assert ("text" if "text" in body and len(body) == 1 else "post_id") in bad.json()["detail"]
