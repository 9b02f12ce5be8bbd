from __future__ import annotations

from avatars.features.avatar.get_avatar_snapshots.command import GetAvatarSnapshots
from avatars.features.avatar.get_avatar_snapshots.handler import get_avatar_snapshots
from fleetkit.ids import new_id


async def test_snapshots_come_back_in_the_order_asked_unknown_ids_absent(pool, alice, bob, avatar_of):
    a, b = await avatar_of(alice, "A"), await avatar_of(bob, "B")
    snapshots = await get_avatar_snapshots(GetAvatarSnapshots(ids=(b, new_id(), a)), pool=pool)
    assert [(s.id, s.owner_id, s.name) for s in snapshots] == [(b, bob, "B"), (a, alice, "A")]


async def test_no_ids_no_query(pool):
    assert await get_avatar_snapshots(GetAvatarSnapshots(ids=()), pool=pool) == []


async def test_post_batch_get_returns_the_contract_fields(client, as_user, alice, bob, avatar_of):
    a = await avatar_of(alice, "A")
    body = {"ids": [str(a), str(new_id()), str(a)]}
    response = await client.post("/v1/avatars/batch-get", json=body, headers=as_user(bob))
    assert response.status_code == 200
    avatars = response.json()["avatars"]
    assert len(avatars) == 1
    assert set(avatars[0]) == {"id", "owner_id", "name", "render_url", "updated_at"}
    assert avatars[0]["owner_id"] == str(alice)
    assert avatars[0]["render_url"] == f"http://avatars.test/v1/avatars/{a}/image.svg"
    assert avatars[0]["updated_at"].endswith("Z")


async def test_post_batch_get_takes_at_most_100_ids(client, as_user, alice, assert_problem):
    body = {"ids": [str(new_id()) for _ in range(101)]}
    assert_problem(await client.post("/v1/avatars/batch-get", json=body, headers=as_user(alice)), 400, "ids")


async def test_post_batch_get_names_a_malformed_id(client, as_user, alice, assert_problem):
    body = {"ids": ["not-a-uuid"]}
    assert_problem(await client.post("/v1/avatars/batch-get", json=body, headers=as_user(alice)), 400, "ids")


async def test_post_batch_get_is_never_anonymous(client, assert_problem):
    assert_problem(await client.post("/v1/avatars/batch-get", json={"ids": []}), 401)
