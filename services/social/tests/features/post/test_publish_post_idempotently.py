"""POST /v1/posts honours Idempotency-Key as avatars' creating POSTs do (the kit's one
implementation): a retry replays the first answer, a reused key with another body is 422."""

from __future__ import annotations

from datetime import timedelta

from fleetkit.idempotency import delete_expired
from fleetkit.ids import new_id, utcnow


def _headers(token: str, key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Idempotency-Key": key}


async def test_the_same_key_twice_publishes_one_post_and_replays_the_first_answer(client, token_for, pool):
    headers = _headers(token_for(new_id()), "post-1")
    first = await client.post("/v1/posts", json={"text": "once"}, headers=headers)
    again = await client.post("/v1/posts", json={"text": "once"}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await pool.fetchval("SELECT count(*) FROM posts") == 1
    assert await pool.fetchval("SELECT count(*) FROM feed_entries") == 1


async def test_the_same_key_with_another_body_is_422_naming_the_header(client, token_for, pool):
    headers = _headers(token_for(new_id()), "post-2")
    await client.post("/v1/posts", json={"text": "one"}, headers=headers)
    response = await client.post("/v1/posts", json={"text": "two"}, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await pool.fetchval("SELECT count(*) FROM posts") == 1


async def test_keys_are_per_caller_and_absent_keys_change_nothing(client, token_for, pool):
    alice, bob = token_for(new_id()), token_for(new_id())
    a = await client.post("/v1/posts", json={"text": "hi"}, headers=_headers(alice, "same"))
    b = await client.post("/v1/posts", json={"text": "hi"}, headers=_headers(bob, "same"))
    assert a.json()["id"] != b.json()["id"]
    for _ in range(2):
        await client.post("/v1/posts", json={"text": "hi"}, headers={"Authorization": f"Bearer {alice}"})
    assert await pool.fetchval("SELECT count(*) FROM posts") == 4


async def test_a_refused_post_releases_its_key_for_the_corrected_request(client, token_for, fake_avatars):
    author = new_id()
    headers = _headers(token_for(author), "post-3")
    refused = await client.post("/v1/posts", json={"text": "x", "avatar_id": str(new_id())}, headers=headers)
    assert refused.status_code == 422
    corrected = await client.post("/v1/posts", json={"text": "x"}, headers=headers)
    assert corrected.status_code == 201
    assert "idempotent-replayed" not in corrected.headers


async def test_the_openapi_document_states_the_header_and_the_409(client):
    document = (await client.get("/docs/openapi.json")).json()
    operation = document["paths"]["/v1/posts"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in operation["parameters"])
    assert {"409", "422"} <= set(operation["responses"])


async def test_expired_records_are_purged_by_the_kit_sweep_and_live_ones_kept(client, token_for, pool):
    await client.post("/v1/posts", json={"text": "kept"}, headers=_headers(token_for(new_id()), "live"))
    past = utcnow() - timedelta(days=2)
    await pool.execute(
        "INSERT INTO idempotency_keys VALUES ($1, 'old', '\\x00', NULL, $2, $2, $2)",
        new_id(),
        past,
    )
    assert await delete_expired(pool, utcnow(), 1000) == 1
    assert await pool.fetchval("SELECT array_agg(key) FROM idempotency_keys") == ["live"]
