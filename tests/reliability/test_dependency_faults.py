"""Dependency faults: identity down → the others keep authenticating with the keys they hold;
avatars down → social's feed still answers 200 with its degraded marker."""

from __future__ import annotations

import time

import httpx

from tests.reliability import support
from tests.reliability.support import TALLY, mint


def test_identity_down_the_others_keep_authenticating_with_cached_keys(db_fleet, services):
    others = [s for s in services if s != "identity"]
    assert others, "the fleet under test has no service that depends on identity"
    fleet = db_fleet
    user = support.new_user(fleet.url("identity"))
    fresh = mint(fleet.keys, user.id)  # never seen by anyone: must verify with the cached JWKS
    fleet.stop("identity")
    try:
        for service in others:
            with httpx.Client(base_url=fleet.url(service), timeout=10) as http:
                for token in (user.access_token, fresh):
                    answer = http.get(support.PROTECTED_PROBE[service], headers={"Authorization": f"Bearer {token}"})
                    TALLY.add("dependency_fault_requests")
                    assert answer.status_code == 200, (service, answer.text)
                forged = mint(fleet.keys, user.id, aud="other")
                assert (
                    http.get(
                        support.PROTECTED_PROBE[service], headers={"Authorization": f"Bearer {forged}"}
                    ).status_code
                    == 401
                )
                assert http.get("/readyz").status_code == 200
    finally:
        support.restart(fleet, "identity")
    TALLY.add("faults_injected")


def _create_avatar(avatars_url: str, auth: dict[str, str]) -> str:
    """Through the wizard: a pre-filled draft, then complete it."""
    draft = {
        "shape": "hexagon",
        "palette": {"background": "#112233", "foreground": "#445566", "accent": "#778899"},
        "accessories": ["hat"],
        "name": "Degrader",
    }
    with httpx.Client(base_url=avatars_url, timeout=10, headers=auth) as http:
        started = http.post("/v1/avatar-drafts", json=draft)
        assert started.status_code == 201, started.text
        done = http.post(f"/v1/avatar-drafts/{started.json()['id']}/complete")
        assert done.status_code in (200, 201), done.text
        return str(done.json()["id"])


def test_avatars_down_the_feed_degrades_instead_of_failing(db_fleet):
    fleet = db_fleet
    user = support.new_user(fleet.url("identity"))
    avatar_id = _create_avatar(fleet.url("avatars"), user.auth)
    with httpx.Client(base_url=fleet.url("social"), timeout=10, headers=user.auth) as http:
        posted = http.post("/v1/posts", json={"text": "degrade me", "avatar_id": avatar_id})
        assert posted.status_code == 201, posted.text
        fleet.stop("avatars")
        try:
            time.sleep(1.5)  # past SOCIAL_SNAPSHOT_TTL_S: the snapshot must be confirmed with avatars
            for _ in range(5):
                feed = http.get("/v1/feed")
                TALLY.add("dependency_fault_requests")
                assert feed.status_code == 200, feed.text
            body = feed.json()
            assert body["degraded"] is True
            mine = [item for item in body["items"] if item["post_id"] == posted.json()["id"]]
            assert mine, body
            assert mine[0]["avatar"] is None
        finally:
            support.restart(fleet, "avatars")
    TALLY.add("faults_injected")
