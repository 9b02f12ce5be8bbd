"""register and log in at identity -> wizard -> avatar -> SVG -> list -> update -> delete, over HTTP."""

from __future__ import annotations

import time
from urllib.parse import urlsplit
from xml.etree import ElementTree

import httpx

from tests.e2e.client import User, register_and_login

STEPS = (
    ("shape", {"shape": "hexagon"}),
    ("palette", {"background": "#112233", "foreground": "#FFFFFF", "accent": "#FFCC00"}),
    ("accessories", {"accessories": ["glasses", "hat"]}),
    ("name", {"name": "Captain <Pixel> & co"}),
)
KEYS_WAIT_S = 20.0


def wait_until_avatars_has_keys(http: httpx.Client, user: User) -> None:
    """Avatars fetches identity's JWKS at start and retries until it has it (503 meanwhile)."""
    deadline = time.monotonic() + KEYS_WAIT_S
    while True:
        response = http.get("/v1/me/avatars", headers=user.auth)
        if response.status_code != 503 or time.monotonic() > deadline:
            assert response.status_code == 200, response.text
            return
        time.sleep(float(response.headers.get("retry-after", "1")))


def test_a_user_makes_an_avatar_with_the_wizard_and_manages_it(fleet):
    user = register_and_login(fleet.url("identity"))
    with httpx.Client(base_url=fleet.url("avatars"), timeout=10) as http:
        wait_until_avatars_has_keys(http, user)
        headers = {**user.auth, "Idempotency-Key": f"start-{user.id}"}
        draft = http.post("/v1/avatar-drafts", json={}, headers=headers)
        assert draft.status_code == 201, draft.text
        assert http.post("/v1/avatar-drafts", json={}, headers=headers).json() == draft.json()
        draft_id = draft.json()["id"]

        for step, body in STEPS:
            put = http.put(f"/v1/avatar-drafts/{draft_id}/{step}", json=body, headers=user.auth)
            assert put.status_code == 200, put.text
        assert put.json()["missing_steps"] == []
        preview = http.get(f"/v1/avatar-drafts/{draft_id}/preview.svg", headers=user.auth)
        assert preview.status_code == 200
        assert preview.headers["content-type"].startswith("image/svg+xml")

        completed = http.post(f"/v1/avatar-drafts/{draft_id}/complete", headers=user.auth)
        assert completed.status_code == 201, completed.text
        again = http.post(f"/v1/avatar-drafts/{draft_id}/complete", headers=user.auth)
        assert again.status_code == 200
        avatar = completed.json()
        assert again.json()["id"] == avatar["id"]
        assert avatar["owner_id"] == user.id

        svg = http.get(urlsplit(avatar["render_url"]).path)  # public: no token, as an <img> would
        assert svg.status_code == 200
        assert svg.headers["content-type"].startswith("image/svg+xml")
        title = ElementTree.fromstring(svg.content).find("{http://www.w3.org/2000/svg}title")
        assert title is not None
        assert title.text == "Captain <Pixel> & co"
        cached = http.get(urlsplit(avatar["render_url"]).path, headers={"If-None-Match": svg.headers["etag"]})
        assert cached.status_code == 304

        mine = http.get("/v1/me/avatars", headers=user.auth)
        assert [a["id"] for a in mine.json()["avatars"]] == [avatar["id"]]

        stale = {**user.auth, "If-Match": '"0"'}
        assert http.patch(f"/v1/avatars/{avatar['id']}", json={"name": "X"}, headers=stale).status_code == 412
        updated = http.patch(
            f"/v1/avatars/{avatar['id']}", json={"name": "Renamed"}, headers={**user.auth, "If-Match": '"1"'}
        )
        assert updated.status_code == 200, updated.text
        assert updated.headers["etag"] == '"2"'
        redrawn = http.get(urlsplit(avatar["render_url"]).path, headers={"If-None-Match": svg.headers["etag"]})
        assert redrawn.status_code == 200

        snapshots = http.post("/v1/avatars/batch-get", json={"ids": [avatar["id"]]}, headers=user.auth)
        assert snapshots.json()["avatars"][0]["name"] == "Renamed"

        assert http.delete(f"/v1/avatars/{avatar['id']}", headers=user.auth).status_code == 204
        gone = http.get(f"/v1/avatars/{avatar['id']}", headers=user.auth)
        assert gone.status_code == 404
        assert gone.headers["content-type"] == "application/problem+json"


def test_another_user_cannot_see_a_draft_or_change_an_avatar(fleet):
    owner = register_and_login(fleet.url("identity"))
    other = register_and_login(fleet.url("identity"))
    with httpx.Client(base_url=fleet.url("avatars"), timeout=10) as http:
        wait_until_avatars_has_keys(http, owner)
        draft_id = http.post("/v1/avatar-drafts", json={}, headers=owner.auth).json()["id"]
        for step, body in STEPS:
            http.put(f"/v1/avatar-drafts/{draft_id}/{step}", json=body, headers=owner.auth)
        assert http.get(f"/v1/avatar-drafts/{draft_id}/preview.svg", headers=other.auth).status_code == 404
        assert http.post(f"/v1/avatar-drafts/{draft_id}/complete", headers=other.auth).status_code == 404
        avatar_id = http.post(f"/v1/avatar-drafts/{draft_id}/complete", headers=owner.auth).json()["id"]
        patch = http.patch(
            f"/v1/avatars/{avatar_id}", json={"name": "Mine now"}, headers={**other.auth, "If-Match": '"1"'}
        )
        assert patch.status_code == 404
        assert http.delete(f"/v1/avatars/{avatar_id}", headers=other.auth).status_code == 404
        assert http.get(f"/v1/avatars/{avatar_id}", headers=other.auth).status_code == 200
