"""Dependency faults: identity down → the others keep authenticating with the keys they hold;
avatars down → social's feed still answers 200 with its degraded marker."""

from __future__ import annotations

import httpx
import pytest

from tests.reliability import support
from tests.reliability.support import TALLY, mint


def test_identity_down_the_others_keep_authenticating_with_cached_keys(db_fleet, services):
    others = [s for s in services if s != "identity"]
    if not others:
        pytest.skip("no service depends on identity in this fleet")
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


def test_avatars_down_the_feed_degrades_instead_of_failing(db_fleet, services):
    if not {"social", "avatars"} <= set(services):
        pytest.skip("needs social and avatars")
    fleet = db_fleet
    user = support.new_user(fleet.url("identity"))
    with httpx.Client(base_url=fleet.url("social"), timeout=10, headers=user.auth) as http:
        assert http.post("/v1/posts", json={"text": "degrade me"}).status_code == 201
        fleet.stop("avatars")
        try:
            for _ in range(5):
                feed = http.get("/v1/feed")
                TALLY.add("dependency_fault_requests")
                assert feed.status_code == 200, feed.text
            assert feed.json()["degraded"] is True
        finally:
            support.restart(fleet, "avatars")
    TALLY.add("faults_injected")
