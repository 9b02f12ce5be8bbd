from __future__ import annotations

import pytest

from avatars.drafts import Draft
from avatars.features.avatar.set_wizard_step.command import (
    SetAccessories,
    SetName,
    SetPalette,
    SetShape,
    SetWizardStep,
)
from avatars.features.avatar.set_wizard_step.handler import (
    DraftNotFound,
    set_wizard_step,
)
from avatars.features.avatar.start_wizard.command import StartWizard
from avatars.features.avatar.start_wizard.handler import start_wizard


async def test_each_step_is_stored_and_slides_the_expiry(pool, alice):
    draft = await start_wizard(StartWizard(owner_id=alice), pool=pool, ttl_s=600)
    outcome = None
    for step in (
        SetShape("square"),
        SetPalette("#010203", "#aaaaaa", "#bbbbbb"),
        SetAccessories(("hat", "crown")),
        SetName("Zed"),
    ):
        outcome = await set_wizard_step(SetWizardStep(draft.id, alice, step), pool=pool, ttl_s=600)
    assert isinstance(outcome, Draft)
    assert outcome.shape == "square"
    assert outcome.color_foreground == "#AAAAAA"
    assert outcome.accessories == ["crown", "hat"]
    assert outcome.missing_steps == []
    assert outcome.expires_at > draft.expires_at


async def test_another_callers_draft_is_not_found(pool, alice, bob):
    draft = await start_wizard(StartWizard(owner_id=alice), pool=pool, ttl_s=600)
    cmd = SetWizardStep(draft.id, bob, SetName("Mallory"))
    assert isinstance(await set_wizard_step(cmd, pool=pool, ttl_s=600), DraftNotFound)
    assert await pool.fetchval("SELECT name FROM avatar_drafts") is None


async def test_an_expired_draft_is_not_found(pool, alice):
    draft = await start_wizard(StartWizard(owner_id=alice), pool=pool, ttl_s=600)
    await pool.execute("UPDATE avatar_drafts SET expires_at = now() - interval '1 second'")
    cmd = SetWizardStep(draft.id, alice, SetShape("circle"))
    assert isinstance(await set_wizard_step(cmd, pool=pool, ttl_s=600), DraftNotFound)


async def test_put_each_step_then_nothing_is_missing(client, as_user, alice, steps):
    headers = as_user(alice)
    draft = (await client.post("/v1/avatar-drafts", json={}, headers=headers)).json()
    for step, body in steps:
        response = await client.put(f"/v1/avatar-drafts/{draft['id']}/{step}", json=body, headers=headers)
        assert response.status_code == 200, response.text
    assert response.json()["missing_steps"] == []
    assert response.json()["palette"] == {"background": "#112233", "foreground": "#FFFFFF", "accent": "#FFCC00"}


async def test_accessories_are_a_set_repeats_accepted_and_stored_once_as_documented(client, as_user, alice):
    """The document says "repeats do not matter", so it must not also say uniqueItems (the fuzzer
    sent ["hat", "hat"], expecting the 4xx that uniqueItems promised, and got 200)."""
    headers = as_user(alice)
    draft = (await client.post("/v1/avatar-drafts", json={"accessories": ["crown", "crown"]}, headers=headers)).json()
    assert draft["accessories"] == ["crown"]
    url = f"/v1/avatar-drafts/{draft['id']}/accessories"
    response = await client.put(url, json={"accessories": ["hat", "glasses", "hat"]}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["accessories"] == ["glasses", "hat"]
    spec = (await client.get("/docs/openapi.json")).json()
    text = str(spec["components"]["schemas"])
    assert "uniqueItems" not in text


async def test_put_on_someone_elses_draft_is_404(client, as_user, alice, bob, assert_problem):
    draft = (await client.post("/v1/avatar-drafts", json={}, headers=as_user(alice))).json()
    response = await client.put(f"/v1/avatar-drafts/{draft['id']}/name", json={"name": "Mallory"}, headers=as_user(bob))
    assert_problem(response, 404)


@pytest.mark.parametrize(
    ("step", "body", "field"),
    [
        ("shape", {"shape": "blob"}, "shape"),
        ("shape", {}, "shape"),
        ("palette", {"background": "#112233", "foreground": "#FFFFFF"}, "accent"),
        ("palette", {"background": "#GG2233", "foreground": "#FFFFFF", "accent": "#000000"}, "background"),
        ("palette", {"background": "#112233 ", "foreground": "#FFFFFF", "accent": "#000000"}, "background"),
        ("accessories", {"accessories": ["hat", "cape"]}, "accessories"),
        ("accessories", {"accessories": ["hat", "crown", "glasses", "bowtie", "earrings"]}, "accessories"),
        ("name", {"name": "x" * 51}, "name"),
        ("name", {"name": "   "}, "name"),
        ("name", {"name": "bad\u0000name"}, "name"),
        ("name", {"name": "\u200b\u200b"}, "name"),  # zero-width spaces only: nothing visible
        ("name", {"name": "\u3164 \ufeff"}, "name"),  # a Hangul filler, a space, a BOM
        ("name", {"name": "Pixel\u202eevil"}, "name"),  # a right-to-left override
        ("name", {"name": "\u2066Pixel\u2069"}, "name"),  # a left-to-right isolate
        ("name", {"name": 42}, "name"),
    ],
)
async def test_put_step_names_the_bad_field(client, as_user, alice, assert_problem, step, body, field):
    draft = (await client.post("/v1/avatar-drafts", json={}, headers=as_user(alice))).json()
    response = await client.put(f"/v1/avatar-drafts/{draft['id']}/{step}", json=body, headers=as_user(alice))
    assert_problem(response, 400, field)


async def test_a_draft_id_that_is_not_a_uuid_is_a_client_error(client, as_user, alice):
    response = await client.put("/v1/avatar-drafts/nope/name", json={"name": "A"}, headers=as_user(alice))
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"] == "application/problem+json"
