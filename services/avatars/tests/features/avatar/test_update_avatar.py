from __future__ import annotations

import pytest

from avatars.avatars import Avatar
from avatars.features.avatar.update_avatar.command import UpdateAvatar
from avatars.features.avatar.update_avatar.handler import (
    AvatarNotFound,
    VersionMismatch,
    update_avatar,
)


async def test_update_changes_only_the_given_fields_and_bumps_the_version(pool, alice, avatar_of):
    avatar_id = await avatar_of(alice)
    before = await pool.fetchval("SELECT svg_etag FROM avatar_snapshots WHERE id = $1", avatar_id)
    outcome = await update_avatar(UpdateAvatar(avatar_id, alice, (1,), shape="circle", accessories=()), pool=pool)
    assert isinstance(outcome, Avatar)
    assert (outcome.shape, outcome.name, outcome.accessories, outcome.version) == ("circle", "Captain Pixel", [], 2)
    snapshot = await pool.fetchrow("SELECT version, svg_etag FROM avatar_snapshots WHERE id = $1", avatar_id)
    assert snapshot["version"] == 2
    assert snapshot["svg_etag"] != before


async def test_a_stale_version_is_refused_with_the_current_one(pool, alice, avatar_of):
    avatar_id = await avatar_of(alice)
    await update_avatar(UpdateAvatar(avatar_id, alice, (1,), name="Two"), pool=pool)
    outcome = await update_avatar(UpdateAvatar(avatar_id, alice, (1,), name="Lost"), pool=pool)
    assert outcome == VersionMismatch(current_version=2)
    assert await pool.fetchval("SELECT name FROM avatars") == "Two"


async def test_if_match_any_updates_whatever_the_version(pool, alice, avatar_of):
    avatar_id = await avatar_of(alice)
    outcome = await update_avatar(UpdateAvatar(avatar_id, alice, None, name="Any"), pool=pool)
    assert isinstance(outcome, Avatar)


async def test_someone_elses_avatar_is_not_found_even_with_the_right_version(pool, alice, bob, avatar_of):
    avatar_id = await avatar_of(alice)
    outcome = await update_avatar(UpdateAvatar(avatar_id, bob, (1,), name="Mallory"), pool=pool)
    assert isinstance(outcome, AvatarNotFound)


async def test_patch_with_if_match_returns_the_new_etag(client, as_user, alice, avatar_of):
    avatar_id = await avatar_of(alice)
    response = await client.patch(
        f"/v1/avatars/{avatar_id}",
        json={"name": "Renamed", "palette": {"background": "#000000", "foreground": "#ffffff", "accent": "#123abc"}},
        headers={**as_user(alice), "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"2"'
    assert response.json()["palette"]["accent"] == "#123ABC"
    listed = await client.get("/v1/me/avatars", headers=as_user(alice))
    assert listed.json()["avatars"][0]["name"] == "Renamed"


async def test_patch_without_if_match_is_428(client, as_user, alice, avatar_of, assert_problem):
    avatar_id = await avatar_of(alice)
    response = await client.patch(f"/v1/avatars/{avatar_id}", json={"name": "X"}, headers=as_user(alice))
    assert_problem(response, 428, "If-Match")


async def test_patch_with_a_stale_if_match_is_412(client, as_user, alice, avatar_of, assert_problem):
    avatar_id = await avatar_of(alice)
    headers = {**as_user(alice), "If-Match": '"1"'}
    await client.patch(f"/v1/avatars/{avatar_id}", json={"name": "Two"}, headers=headers)
    response = await client.patch(f"/v1/avatars/{avatar_id}", json={"name": "Three"}, headers=headers)
    assert_problem(response, 412)
    assert response.headers["etag"] == '"2"'


@pytest.mark.parametrize("if_match", ['W/"1"', "1", '"abc"', '"99999999999"'])
async def test_patch_with_an_if_match_that_cannot_match_is_412(
    client, as_user, alice, avatar_of, assert_problem, if_match
):
    avatar_id = await avatar_of(alice)
    headers = {**as_user(alice), "If-Match": if_match}
    assert_problem(await client.patch(f"/v1/avatars/{avatar_id}", json={"name": "X"}, headers=headers), 412)


async def test_patch_someone_elses_avatar_is_404(client, as_user, alice, bob, avatar_of, assert_problem):
    avatar_id = await avatar_of(alice)
    headers = {**as_user(bob), "If-Match": '"1"'}
    assert_problem(await client.patch(f"/v1/avatars/{avatar_id}", json={"name": "X"}, headers=headers), 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"shape": "blob"}, "shape"),
        ({"palette": {"background": "#000"}}, "palette"),
        ({"owner_id": "01900000-0000-7000-8000-000000000000"}, "owner_id"),
        ({"version": 5}, "version"),
    ],
)
async def test_patch_names_the_bad_field(client, as_user, alice, avatar_of, assert_problem, body, field):
    avatar_id = await avatar_of(alice)
    headers = {**as_user(alice), "If-Match": '"1"'}
    assert_problem(await client.patch(f"/v1/avatars/{avatar_id}", json=body, headers=headers), 400, field)


async def test_an_empty_patch_is_422_and_names_the_fields_it_could_change(
    client, as_user, alice, avatar_of, assert_problem
):
    avatar_id = await avatar_of(alice)
    headers = {**as_user(alice), "If-Match": '"1"'}
    assert_problem(await client.patch(f"/v1/avatars/{avatar_id}", json={}, headers=headers), 422, "palette")
