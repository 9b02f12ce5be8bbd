"""POST /v1/posts/{id}/comments honours Idempotency-Key: one comment per key, counted once."""

from __future__ import annotations

from fleetkit.ids import new_id


async def test_the_same_key_twice_adds_one_comment_counted_once(client, token_for, pool):
    auth = {"Authorization": f"Bearer {token_for(new_id())}"}
    post_id = (await client.post("/v1/posts", json={"text": "x"}, headers=auth)).json()["id"]
    headers = {**auth, "Idempotency-Key": "comment-1"}
    first = await client.post(f"/v1/posts/{post_id}/comments", json={"text": "nice"}, headers=headers)
    again = await client.post(f"/v1/posts/{post_id}/comments", json={"text": "nice"}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert await pool.fetchval("SELECT count(*) FROM comments") == 1
    assert await pool.fetchval("SELECT comment_count FROM feed_entries") == 1


async def test_the_same_key_on_another_post_is_422(client, token_for, pool):
    auth = {"Authorization": f"Bearer {token_for(new_id())}"}
    one, two = [(await client.post("/v1/posts", json={"text": t}, headers=auth)).json()["id"] for t in "ab"]
    headers = {**auth, "Idempotency-Key": "comment-2"}
    assert (await client.post(f"/v1/posts/{one}/comments", json={"text": "c"}, headers=headers)).status_code == 201
    response = await client.post(f"/v1/posts/{two}/comments", json={"text": "c"}, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await pool.fetchval("SELECT count(*) FROM comments") == 1


async def test_a_comment_on_no_post_releases_its_key(client, token_for):
    auth = {"Authorization": f"Bearer {token_for(new_id())}"}
    headers = {**auth, "Idempotency-Key": "comment-3"}
    missing = await client.post(f"/v1/posts/{new_id()}/comments", json={"text": "c"}, headers=headers)
    assert missing.status_code == 404
    post_id = (await client.post("/v1/posts", json={"text": "x"}, headers=auth)).json()["id"]
    response = await client.post(f"/v1/posts/{post_id}/comments", json={"text": "c"}, headers=headers)
    assert response.status_code == 201
