from __future__ import annotations

from datetime import timedelta

import pytest

from avatars.features.avatar.start_wizard.command import StartWizard
from avatars.features.avatar.start_wizard.handler import start_wizard
from fleetkit.db import KitPool


async def test_start_makes_an_empty_private_draft_that_expires_after_the_ttl(pool: KitPool, alice):
    draft = await start_wizard(StartWizard(owner_id=alice), pool=pool, ttl_s=600)
    assert draft.id.version == 7
    assert draft.created_at.tzinfo is not None
    assert draft.expires_at - draft.created_at == timedelta(seconds=600)
    assert draft.missing_steps == ["shape", "palette", "accessories", "name"]
    owner = await pool.fetchval("SELECT owner_id FROM avatar_drafts WHERE id = $1", draft.id)
    assert owner == alice


async def test_start_can_prefill_steps_normalising_colours_and_accessory_order(pool, alice):
    cmd = StartWizard(
        owner_id=alice, shape="circle", palette=("#aabbcc", "#000000", "#fFfFfF"),
        accessories=("hat", "crown"), name="Ann",
    )  # fmt: skip
    draft = await start_wizard(cmd, pool=pool, ttl_s=600)
    assert (draft.color_background, draft.color_accent) == ("#AABBCC", "#FFFFFF")
    assert draft.accessories == ["crown", "hat"]
    assert draft.missing_steps == []


async def test_post_drafts_answers_201_with_location(client, as_user, alice):
    response = await client.post("/v1/avatar-drafts", json={"name": "Ann"}, headers=as_user(alice))
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"/v1/avatar-drafts/{body['id']}"
    assert body["name"] == "Ann"
    assert body["expires_at"].endswith("Z")
    assert body["missing_steps"] == ["shape", "palette", "accessories"]


async def test_post_drafts_needs_a_bearer_token(client, assert_problem):
    response = await client.post("/v1/avatar-drafts", json={})
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"palette": {"background": "red", "foreground": "#000000", "accent": "#000000"}}, "palette.background"),
        ({"palette": {"background": "#12345", "foreground": "#000000", "accent": "#000000"}}, "palette.background"),
        ({"shape": "blob"}, "shape"),
        ({"accessories": ["monocle"]}, "accessories"),
        ({"name": ""}, "name"),
        ({"name": "x" * 51}, "name"),
        ({"owner_id": "01900000-0000-7000-8000-000000000000"}, "owner_id"),
    ],
)
async def test_post_drafts_names_the_bad_field(client, as_user, alice, assert_problem, body, field):
    response = await client.post("/v1/avatar-drafts", json=body, headers=as_user(alice))
    assert_problem(response, 400, field)


async def test_same_idempotency_key_and_body_replays_the_first_response(client, as_user, alice, pool):
    headers = {**as_user(alice), "Idempotency-Key": "k-1"}
    first = await client.post("/v1/avatar-drafts", json={"name": "Ann"}, headers=headers)
    again = await client.post("/v1/avatar-drafts", json={"name": "Ann"}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert await pool.fetchval("SELECT count(*) FROM avatar_drafts") == 1


async def test_same_idempotency_key_with_another_body_is_422(client, as_user, alice, assert_problem):
    headers = {**as_user(alice), "Idempotency-Key": "k-2"}
    await client.post("/v1/avatar-drafts", json={"name": "Ann"}, headers=headers)
    response = await client.post("/v1/avatar-drafts", json={"name": "Bob"}, headers=headers)
    assert_problem(response, 422, "Idempotency-Key")


async def test_idempotency_keys_are_per_caller(client, as_user, alice, bob, pool):
    first = await client.post("/v1/avatar-drafts", json={}, headers={**as_user(alice), "Idempotency-Key": "same"})
    second = await client.post("/v1/avatar-drafts", json={}, headers={**as_user(bob), "Idempotency-Key": "same"})
    assert first.json()["id"] != second.json()["id"]
    assert await pool.fetchval("SELECT count(*) FROM avatar_drafts") == 2


async def test_equal_bodies_match_whatever_their_json_spelling(client, as_user, alice):
    headers = {**as_user(alice), "Idempotency-Key": "k-3", "content-type": "application/json"}
    first = await client.post(
        "/v1/avatar-drafts", content=b'{"name":"Ann","accessories":["hat","crown"]}', headers=headers
    )
    again = await client.post(
        "/v1/avatar-drafts", content=b'{ "accessories": ["crown", "hat"], "name": "Ann" }', headers=headers
    )
    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]


async def test_a_malformed_idempotency_key_is_400(client, as_user, alice, assert_problem):
    headers = {**as_user(alice), "Idempotency-Key": "x" * 300}
    response = await client.post("/v1/avatar-drafts", json={}, headers=headers)
    assert_problem(response, 400, "idempotency_key")  # the kit names the parameter
