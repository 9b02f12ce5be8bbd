"""The entities several slices share (avatars.avatars, avatars.drafts) and their column lists."""

from __future__ import annotations

import pytest

from avatars.avatars import AVATAR_COLUMNS, Avatar
from avatars.drafts import DRAFT_COLUMNS, DRAFT_DESIGN_COLUMNS, Draft, DraftDesign


@pytest.mark.parametrize(
    ("columns", "entity"),
    [(AVATAR_COLUMNS, Avatar), (DRAFT_COLUMNS, Draft), (DRAFT_DESIGN_COLUMNS, DraftDesign)],
)
def test_a_column_list_names_exactly_its_entitys_fields(columns, entity):
    assert sorted(columns.split(", ")) == sorted(entity.__struct_fields__)


async def test_every_slice_reads_the_avatar_row_the_same_way(pool, alice, avatar_of):
    avatar_id = await avatar_of(alice)
    row = await pool.fetchrow(f"SELECT {AVATAR_COLUMNS} FROM avatars WHERE id = $1", avatar_id)
    avatar = Avatar(**row)
    assert (avatar.id, avatar.owner_id, avatar.version) == (avatar_id, alice, 1)


async def test_starting_and_every_step_answer_the_one_draft_schema(client):
    document = (await client.get("/docs/openapi.json")).json()
    start = document["paths"]["/v1/avatar-drafts"]["post"]["responses"]["201"]
    refs = {start["content"]["application/json"]["schema"]["$ref"]}
    for step in ("shape", "palette", "accessories", "name"):
        answer = document["paths"][f"/v1/avatar-drafts/{{draft_id}}/{step}"]["put"]["responses"]["200"]
        refs.add(answer["content"]["application/json"]["schema"]["$ref"])
    assert refs == {"#/components/schemas/DraftResponse"}
