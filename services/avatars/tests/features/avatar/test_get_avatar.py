from __future__ import annotations

from avatars.avatars import Avatar
from avatars.features.avatar.get_avatar.command import GetAvatar
from avatars.features.avatar.get_avatar.handler import AvatarNotFound, get_avatar
from fleetkit.ids import new_id


async def test_get_returns_the_avatar_attributes(pool, alice, avatar_of):
    avatar_id = await avatar_of(alice)
    avatar = await get_avatar(GetAvatar(avatar_id), pool=pool)
    assert isinstance(avatar, Avatar)
    assert (avatar.owner_id, avatar.shape, avatar.version) == (alice, "hexagon", 1)
    assert avatar.accessories == ["glasses", "hat"]


async def test_an_unknown_avatar_is_not_found(pool):
    assert isinstance(await get_avatar(GetAvatar(new_id()), pool=pool), AvatarNotFound)


async def test_get_has_the_version_as_etag_and_honours_if_none_match(client, as_user, alice, bob, avatar_of):
    avatar_id = await avatar_of(alice)
    response = await client.get(f"/v1/avatars/{avatar_id}", headers=as_user(bob))
    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    body = response.json()
    assert body["palette"] == {"background": "#112233", "foreground": "#FFFFFF", "accent": "#FFCC00"}
    assert body["created_at"].endswith("Z")
    cached = await client.get(f"/v1/avatars/{avatar_id}", headers={**as_user(bob), "If-None-Match": '"1"'})
    assert cached.status_code == 304


async def test_get_unknown_is_404_problem(client, as_user, alice, assert_problem):
    assert_problem(await client.get(f"/v1/avatars/{new_id()}", headers=as_user(alice)), 404)


async def test_get_needs_a_token(client, alice, avatar_of, assert_problem):
    avatar_id = await avatar_of(alice)
    assert_problem(await client.get(f"/v1/avatars/{avatar_id}"), 401)
