from __future__ import annotations

import pytest

from avatars.features.avatar.list_my_avatars.command import ListMyAvatars
from avatars.features.avatar.list_my_avatars.handler import list_my_avatars


async def test_pages_walk_my_avatars_oldest_first_without_gaps_or_repeats(pool, alice, bob, avatar_of):
    mine = [await avatar_of(alice, f"A{i}") for i in range(5)]
    await avatar_of(bob)
    seen, after = [], None
    while True:
        page = await list_my_avatars(ListMyAvatars(alice, limit=2, after=after), pool=pool)
        seen += [a.id for a in page.avatars]
        if page.next_after is None:
            break
        after = page.next_after
        await avatar_of(alice, "late")  # inserts while paging land after the cursor
    assert seen[:5] == mine
    assert len(seen) == len(set(seen))


async def test_the_last_full_page_says_there_is_no_next(pool, alice, avatar_of):
    for _ in range(2):
        await avatar_of(alice)
    page = await list_my_avatars(ListMyAvatars(alice, limit=2), pool=pool)
    assert len(page.avatars) == 2
    assert page.next_after is None


async def test_get_me_avatars_lists_only_mine_with_render_urls(client, as_user, alice, bob, avatar_of):
    first, second = await avatar_of(alice), await avatar_of(alice)
    await avatar_of(bob)
    response = await client.get("/v1/me/avatars?limit=1", headers=as_user(alice))
    assert response.status_code == 200
    body = response.json()
    assert [a["id"] for a in body["avatars"]] == [str(first)]
    assert body["avatars"][0]["render_url"] == f"http://avatars.test/v1/avatars/{first}/image.svg"
    assert body["next_after"] == str(first)
    rest = await client.get(f"/v1/me/avatars?after={first}", headers=as_user(alice))
    assert [a["id"] for a in rest.json()["avatars"]] == [str(second)]
    assert rest.json()["next_after"] is None


@pytest.mark.parametrize(("query", "field"), [("limit=101", "limit"), ("limit=0", "limit"), ("after=nope", "after")])
async def test_bad_paging_parameters_name_the_field(client, as_user, alice, assert_problem, query, field):
    assert_problem(await client.get(f"/v1/me/avatars?{query}", headers=as_user(alice)), 400, field)
