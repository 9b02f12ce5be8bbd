from __future__ import annotations

import asyncio

from avatars.features.avatar.complete_wizard.command import CompleteWizard
from avatars.features.avatar.complete_wizard.handler import (
    AvatarCompleted,
    DraftIncomplete,
    DraftNotFound,
    complete_wizard,
)
from avatars.features.avatar.start_wizard.command import StartWizard
from avatars.features.avatar.start_wizard.handler import start_wizard


async def test_completing_turns_the_draft_into_an_avatar_and_its_snapshot(pool, alice, full_draft):
    draft_id = await full_draft(alice)
    done = await complete_wizard(CompleteWizard(draft_id=draft_id, owner_id=alice), pool=pool)
    assert isinstance(done, AvatarCompleted)
    assert done.created
    avatar = done.avatar
    assert (avatar.owner_id, avatar.draft_id, avatar.version) == (alice, draft_id, 1)
    assert avatar.id.version == 7
    assert await pool.fetchval("SELECT count(*) FROM avatar_drafts") == 0
    snapshot = await pool.fetchrow("SELECT name, version, svg FROM avatar_snapshots WHERE id = $1", avatar.id)
    assert (snapshot["name"], snapshot["version"]) == ("Captain Pixel", 1)
    assert snapshot["svg"].startswith("<svg")


async def test_completing_twice_yields_the_same_avatar(pool, alice, full_draft):
    draft_id = await full_draft(alice)
    first = await complete_wizard(CompleteWizard(draft_id=draft_id, owner_id=alice), pool=pool)
    second = await complete_wizard(CompleteWizard(draft_id=draft_id, owner_id=alice), pool=pool)
    assert isinstance(first, AvatarCompleted)
    assert isinstance(second, AvatarCompleted)
    assert (first.created, second.created) == (True, False)
    assert second.avatar == first.avatar
    assert await pool.fetchval("SELECT count(*) FROM avatars") == 1


async def test_concurrent_completions_make_exactly_one_avatar(pool, alice, full_draft):
    draft_id = await full_draft(alice)
    outcomes = await asyncio.gather(
        *(complete_wizard(CompleteWizard(draft_id=draft_id, owner_id=alice), pool=pool) for _ in range(4))
    )
    assert all(isinstance(o, AvatarCompleted) for o in outcomes)
    assert sum(o.created for o in outcomes) == 1
    assert len({o.avatar.id for o in outcomes}) == 1
    assert await pool.fetchval("SELECT count(*) FROM avatars") == 1


async def test_an_incomplete_draft_names_the_missing_steps(pool, alice):
    draft = await start_wizard(StartWizard(owner_id=alice, shape="circle"), pool=pool, ttl_s=600)
    outcome = await complete_wizard(CompleteWizard(draft_id=draft.id, owner_id=alice), pool=pool)
    assert outcome == DraftIncomplete(missing_steps=["palette", "accessories", "name"])
    assert await pool.fetchval("SELECT count(*) FROM avatars") == 0


async def test_someone_elses_or_an_expired_draft_is_not_found(pool, alice, bob, full_draft):
    draft_id = await full_draft(alice)
    assert isinstance(await complete_wizard(CompleteWizard(draft_id=draft_id, owner_id=bob), pool=pool), DraftNotFound)
    await pool.execute("UPDATE avatar_drafts SET expires_at = now() - interval '1 second'")
    assert isinstance(
        await complete_wizard(CompleteWizard(draft_id=draft_id, owner_id=alice), pool=pool), DraftNotFound
    )


async def test_completing_after_the_avatar_was_deleted_does_not_resurrect_it(pool, alice, full_draft):
    draft_id = await full_draft(alice)
    await complete_wizard(CompleteWizard(draft_id=draft_id, owner_id=alice), pool=pool)
    await pool.execute("DELETE FROM avatars")
    assert isinstance(
        await complete_wizard(CompleteWizard(draft_id=draft_id, owner_id=alice), pool=pool), DraftNotFound
    )


async def test_post_complete_is_201_then_200_with_the_same_avatar(client, as_user, alice, full_draft):
    draft_id = await full_draft(alice)
    url = f"/v1/avatar-drafts/{draft_id}/complete"
    first = await client.post(url, headers=as_user(alice))
    again = await client.post(url, headers=as_user(alice))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    body = first.json()
    assert first.headers["location"] == f"/v1/avatars/{body['id']}"
    assert first.headers["etag"] == '"1"'
    assert body["render_url"] == f"http://avatars.test/v1/avatars/{body['id']}/image.svg"


async def test_both_answers_of_complete_are_documented(client):
    """Completing again answers 200 (found by the fuzzer: the 200 was not in the OpenAPI document)."""
    spec = (await client.get("/docs/openapi.json")).json()
    responses = spec["paths"]["/v1/avatar-drafts/{draft_id}/complete"]["post"]["responses"]
    assert {"200", "201"} <= set(responses)
    assert (
        responses["200"]["content"]["application/json"]["schema"]
        == responses["201"]["content"]["application/json"]["schema"]
    )


async def test_post_complete_on_an_incomplete_draft_is_422_naming_the_steps(client, as_user, alice, assert_problem):
    draft = (await client.post("/v1/avatar-drafts", json={"name": "A"}, headers=as_user(alice))).json()
    response = await client.post(f"/v1/avatar-drafts/{draft['id']}/complete", headers=as_user(alice))
    problem = assert_problem(response, 422, "palette")
    assert {e["field"] for e in problem["errors"]} == {"shape", "palette", "accessories"}


async def test_post_complete_replays_by_idempotency_key(client, as_user, alice, full_draft):
    draft_id = await full_draft(alice)
    headers = {**as_user(alice), "Idempotency-Key": "complete-1"}
    first = await client.post(f"/v1/avatar-drafts/{draft_id}/complete", headers=headers)
    again = await client.post(f"/v1/avatar-drafts/{draft_id}/complete", headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content


async def test_an_idempotency_key_reused_on_another_draft_is_422(client, as_user, alice, full_draft, assert_problem):
    headers = {**as_user(alice), "Idempotency-Key": "complete-2"}
    first, second = await full_draft(alice), await full_draft(alice)
    await client.post(f"/v1/avatar-drafts/{first}/complete", headers=headers)
    response = await client.post(f"/v1/avatar-drafts/{second}/complete", headers=headers)
    assert_problem(response, 422, "Idempotency-Key")


async def test_a_failed_completion_releases_its_idempotency_key(client, as_user, alice, steps):
    headers = {**as_user(alice), "Idempotency-Key": "complete-3"}
    draft = (await client.post("/v1/avatar-drafts", json={}, headers=as_user(alice))).json()
    url = f"/v1/avatar-drafts/{draft['id']}/complete"
    assert (await client.post(url, headers=headers)).status_code == 422
    for step, body in steps:
        await client.put(f"/v1/avatar-drafts/{draft['id']}/{step}", json=body, headers=as_user(alice))
    assert (await client.post(url, headers=headers)).status_code == 201


async def test_someone_elses_draft_cannot_be_completed(client, as_user, alice, bob, full_draft, assert_problem):
    draft_id = await full_draft(alice)
    response = await client.post(f"/v1/avatar-drafts/{draft_id}/complete", headers=as_user(bob))
    assert_problem(response, 404)
