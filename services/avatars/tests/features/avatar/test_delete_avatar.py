from __future__ import annotations

from avatars.features.avatar.delete_avatar.command import DeleteAvatar
from avatars.features.avatar.delete_avatar.handler import (
    AvatarDeleted,
    AvatarNotFound,
    VersionMismatch,
    delete_avatar,
)


async def test_delete_removes_the_avatar_and_its_snapshot(pool, alice, avatar_of):
    avatar_id = await avatar_of(alice)
    assert isinstance(await delete_avatar(DeleteAvatar(avatar_id, alice), pool=pool), AvatarDeleted)
    assert await pool.fetchval("SELECT count(*) FROM avatars") == 0
    assert await pool.fetchval("SELECT count(*) FROM avatar_snapshots") == 0


async def test_delete_with_a_stale_version_keeps_the_avatar(pool, alice, avatar_of):
    avatar_id = await avatar_of(alice)
    assert await delete_avatar(DeleteAvatar(avatar_id, alice, (7,)), pool=pool) == VersionMismatch(1)
    assert await pool.fetchval("SELECT count(*) FROM avatars") == 1


async def test_only_the_owner_can_delete(pool, alice, bob, avatar_of):
    avatar_id = await avatar_of(alice)
    assert isinstance(await delete_avatar(DeleteAvatar(avatar_id, bob), pool=pool), AvatarNotFound)
    assert await pool.fetchval("SELECT count(*) FROM avatars") == 1


async def test_delete_is_204_then_the_avatar_and_its_render_are_gone(client, as_user, alice, avatar_of, assert_problem):
    avatar_id = await avatar_of(alice)
    response = await client.delete(f"/v1/avatars/{avatar_id}", headers=as_user(alice))
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await client.get(f"/v1/avatars/{avatar_id}", headers=as_user(alice)), 404)
    assert_problem(await client.get(f"/v1/avatars/{avatar_id}.svg"), 404)
    assert_problem(await client.delete(f"/v1/avatars/{avatar_id}", headers=as_user(alice)), 404)


async def test_delete_someone_elses_avatar_is_404(client, as_user, alice, bob, avatar_of, assert_problem):
    avatar_id = await avatar_of(alice)
    assert_problem(await client.delete(f"/v1/avatars/{avatar_id}", headers=as_user(bob)), 404)


async def test_delete_with_a_stale_if_match_is_412(client, as_user, alice, avatar_of, assert_problem):
    avatar_id = await avatar_of(alice)
    headers = {**as_user(alice), "If-Match": '"2"'}
    assert_problem(await client.delete(f"/v1/avatars/{avatar_id}", headers=headers), 412)
