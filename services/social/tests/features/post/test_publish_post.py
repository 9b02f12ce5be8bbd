from __future__ import annotations

from fleetkit.db import KitPool
from fleetkit.ids import new_id
from fleetkit.text import TEXT_PATTERN
from social.avatar_directory import AvatarsUnavailable
from social.features.post.publish_post.command import PublishPost
from social.features.post.publish_post.handler import AvatarNotYours, PostPublished, publish_post


async def test_a_post_without_avatar_shows_the_default_author_name_in_the_feed(pool: KitPool, directory, bearer):
    author = new_id()
    outcome = await publish_post(PublishPost(author, "hello", None, bearer), pool=pool, avatars=directory)
    assert isinstance(outcome, PostPublished)
    assert outcome.id.version == 7
    assert outcome.created_at.tzinfo is not None
    entry = await pool.fetchrow("SELECT * FROM feed_entries WHERE post_id = $1", outcome.id)
    assert entry["author_name"] == f"user-{author.hex[-8:]}"
    assert entry["avatar_id"] is None
    assert entry["snapshot_at"] is None


async def test_a_post_with_an_own_avatar_stores_its_snapshot_as_confirmed(pool, directory, fake_avatars, bearer):
    author = new_id()
    avatar_id = fake_avatars.add(author, "Captain Teal")
    outcome = await publish_post(PublishPost(author, "look", avatar_id, bearer), pool=pool, avatars=directory)
    assert isinstance(outcome, PostPublished)
    entry = await pool.fetchrow("SELECT * FROM feed_entries WHERE post_id = $1", outcome.id)
    assert entry["author_name"] == "Captain Teal"
    assert entry["avatar_render_url"].endswith(f"{avatar_id}/render.svg")
    assert entry["snapshot_at"] == outcome.created_at
    assert fake_avatars.requested == [[str(avatar_id)]]


async def test_someone_elses_or_an_unknown_avatar_is_refused_and_nothing_is_stored(
    pool, directory, fake_avatars, bearer
):
    theirs = fake_avatars.add(new_id())
    for avatar_id in (theirs, new_id()):
        outcome = await publish_post(PublishPost(new_id(), "x", avatar_id, bearer), pool=pool, avatars=directory)
        assert isinstance(outcome, AvatarNotYours)
    assert await pool.fetchval("SELECT count(*) FROM posts") == 0


async def test_an_unchecked_avatar_is_never_accepted_when_avatars_is_down(pool, directory, fake_avatars, bearer):
    author = new_id()
    avatar_id = fake_avatars.add(author)
    fake_avatars.mode = "error"
    outcome = await publish_post(PublishPost(author, "x", avatar_id, bearer), pool=pool, avatars=directory)
    assert isinstance(outcome, AvatarsUnavailable)
    assert await pool.fetchval("SELECT count(*) FROM posts") == 0


# --- over HTTP --------------------------------------------------------------------------------


async def test_post_v1_posts_answers_201_with_the_author_from_the_token(client, token_for):
    author = new_id()
    response = await client.post(
        "/v1/posts", json={"text": "hello fleet"}, headers={"Authorization": f"Bearer {token_for(author)}"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["author_id"] == str(author)
    assert body["avatar_id"] is None
    assert body["created_at"].endswith("Z")


async def test_post_v1_posts_forwards_the_callers_token_to_avatars(client, token_for, fake_avatars):
    author = new_id()
    avatar_id = fake_avatars.add(author)
    headers = {"Authorization": f"Bearer {token_for(author)}"}
    response = await client.post("/v1/posts", json={"text": "hi", "avatar_id": str(avatar_id)}, headers=headers)
    assert response.status_code == 201
    assert response.json()["avatar_id"] == str(avatar_id)


async def test_post_v1_posts_with_someone_elses_avatar_is_422_naming_avatar_id(client, token_for, fake_avatars):
    avatar_id = fake_avatars.add(new_id())
    headers = {"Authorization": f"Bearer {token_for(new_id())}"}
    response = await client.post("/v1/posts", json={"text": "hi", "avatar_id": str(avatar_id)}, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "avatar_id"


async def test_post_v1_posts_is_503_with_retry_after_when_avatars_cannot_check(client, token_for, fake_avatars):
    author = new_id()
    avatar_id = fake_avatars.add(author)
    fake_avatars.mode = "error"
    headers = {"Authorization": f"Bearer {token_for(author)}"}
    response = await client.post("/v1/posts", json={"text": "hi", "avatar_id": str(avatar_id)}, headers=headers)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1


async def test_post_v1_posts_names_the_bad_field(client, token_for):
    headers = {"Authorization": f"Bearer {token_for(new_id())}"}
    cases = [
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "\u200b\u200d\u2060"}, "text"),  # zero-width characters only: nothing visible
        ({"text": "fine\u0000then"}, "text"),  # PostgreSQL cannot store U+0000; the schema says so
        ({"text": "x" * 2001}, "text"),
        ({}, "text"),
        ({"text": "ok", "avatar_id": "not-a-uuid"}, "avatar_id"),
        ({"text": "ok", "author_id": str(new_id())}, "author_id"),
    ]
    for body, field in cases:
        response = await client.post("/v1/posts", json=body, headers=headers)
        assert response.status_code == 400, body
        assert response.headers["content-type"] == "application/problem+json"
        assert field in response.json()["detail"], (body, response.json())


async def test_a_nul_in_the_text_is_refused_at_the_boundary_as_the_schema_says(client, token_for):
    headers = {"Authorization": f"Bearer {token_for(new_id())}"}
    response = await client.post("/v1/posts", json={"text": "fine\u0000then"}, headers=headers)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("Invalid or missing: text.")  # the decoder names it; no database asked
    assert "cannot be stored" not in detail
    document = (await client.get("/docs/openapi.json")).json()
    schema = next(v for k, v in document["components"]["schemas"].items() if k.endswith("PublishPostRequest"))
    assert schema["properties"]["text"]["pattern"] == TEXT_PATTERN


async def test_post_v1_posts_without_a_token_is_401(client):
    response = await client.post("/v1/posts", json={"text": "hi"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
