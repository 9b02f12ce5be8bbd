from __future__ import annotations

from xml.etree import ElementTree

from avatars.features.avatar.preview_draft.command import PreviewDraft
from avatars.features.avatar.preview_draft.handler import (
    DraftNotFound,
    DraftPreview,
    preview_draft,
)
from avatars.features.avatar.start_wizard.command import StartWizard
from avatars.features.avatar.start_wizard.handler import start_wizard


async def test_an_empty_draft_previews_with_neutral_defaults(pool, alice):
    draft = await start_wizard(StartWizard(owner_id=alice), pool=pool, ttl_s=600)
    preview = await preview_draft(PreviewDraft(draft_id=draft.id, owner_id=alice), pool=pool)
    assert isinstance(preview, DraftPreview)
    root = ElementTree.fromstring(preview.svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert preview.etag.startswith('"')


async def test_only_the_owner_can_preview(pool, alice, bob, full_draft):
    draft_id = await full_draft(alice)
    assert isinstance(await preview_draft(PreviewDraft(draft_id=draft_id, owner_id=bob), pool=pool), DraftNotFound)


async def test_get_preview_is_svg_and_revalidates_by_etag(client, as_user, alice, full_draft):
    draft_id = await full_draft(alice, "Ann <b>")
    url = f"/v1/avatar-drafts/{draft_id}/preview.svg"
    first = await client.get(url, headers=as_user(alice))
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("image/svg+xml")
    assert first.headers["cache-control"] == "private, no-cache"
    assert "<b>" not in first.text
    assert "Ann &lt;b&gt;" in first.text
    again = await client.get(url, headers={**as_user(alice), "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


async def test_preview_changes_with_each_step(client, as_user, alice, full_draft):
    draft_id = await full_draft(alice)
    url = f"/v1/avatar-drafts/{draft_id}/preview.svg"
    before = await client.get(url, headers=as_user(alice))
    await client.put(f"/v1/avatar-drafts/{draft_id}/shape", json={"shape": "diamond"}, headers=as_user(alice))
    after = await client.get(url, headers={**as_user(alice), "If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]


async def test_someone_elses_preview_is_404(client, as_user, alice, bob, full_draft, assert_problem):
    draft_id = await full_draft(alice)
    response = await client.get(f"/v1/avatar-drafts/{draft_id}/preview.svg", headers=as_user(bob))
    assert_problem(response, 404)
