"""identity -> avatars -> social over HTTP: the feed shows a post's avatar; with avatars stopped
the feed still answers (degraded), the breaker opens and then keeps calls away from avatars, and
when avatars returns the feed recovers.

Social's breaker and call counters come from its ``/metrics`` (Prometheus text): with avatars
stopped nothing can be counted on its side, so "no call reaches avatars" is shown by social's
``dependency_requests_total{dependency="avatars"}``: while the breaker is open only the
``short_circuited`` outcome grows, and every other outcome (an attempt on the network) stays put.

The waits are polls bounded by generous timeouts, so the suite passes with the default
``SOCIAL_SNAPSHOT_TTL_S`` (30 s) and ``SOCIAL_BREAKER_RESET_S`` (10 s); the local fleet sets
them lower to keep it quick.
"""

from __future__ import annotations

import time

import httpx
import pytest

from tests.e2e.client import User, register_and_login

WAIT_S = 90.0
AVATARS = 'dependency="avatars"'


def send(http: httpx.Client, method: str, path: str, **kwargs) -> httpx.Response:
    """One request, repeated while the service answers 503 (honouring Retry-After): a service
    started moments ago may still be fetching identity's JWKS."""
    deadline = time.monotonic() + 30
    while True:
        response = http.request(method, path, **kwargs)
        if response.status_code != 503 or time.monotonic() > deadline:
            return response
        time.sleep(min(float(response.headers.get("retry-after", "1")), 2.0))


def create_avatar(avatars_url: str, user: User, name: str) -> str:
    """Through the wizard: a pre-filled draft, then complete it; the new avatar's id."""
    draft = {
        "shape": "hexagon",
        "palette": {"background": "#112233", "foreground": "#445566", "accent": "#778899"},
        "accessories": ["hat"],
        "name": name,
    }
    with httpx.Client(base_url=avatars_url, timeout=10, headers=user.auth) as http:
        started = send(http, "POST", "/v1/avatar-drafts", json=draft)
        assert started.status_code == 201, started.text
        done = send(http, "POST", f"/v1/avatar-drafts/{started.json()['id']}/complete")
        assert done.status_code in (200, 201), done.text
        return str(done.json()["id"])


def publish(social_url: str, user: User, text: str, avatar_id: str | None = None) -> httpx.Response:
    body = {"text": text} if avatar_id is None else {"text": text, "avatar_id": avatar_id}
    with httpx.Client(base_url=social_url, timeout=10, headers=user.auth) as http:
        return send(http, "POST", "/v1/posts", json=body)


def feed_item(social_url: str, user: User, post_id: str) -> tuple[dict, dict]:
    """The feed page (newest 100) and our post in it."""
    with httpx.Client(base_url=social_url, timeout=10, headers=user.auth) as http:
        response = send(http, "GET", "/v1/feed", params={"limit": 100})
    assert response.status_code == 200, response.text
    page = response.json()
    [item] = [i for i in page["items"] if i["post_id"] == post_id]
    return page, item


def metrics(social_url: str) -> dict[str, float]:
    text = httpx.get(f"{social_url}/metrics", timeout=10).text
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def breaker_state(social_url: str) -> float:
    return metrics(social_url).get(f"dependency_breaker_state{{{AVATARS}}}", 0.0)


def calls(social_url: str) -> tuple[float, float]:
    """(attempts that went out on the network, calls the open breaker refused)."""
    attempted = refused = 0.0
    for name, value in metrics(social_url).items():
        if name.startswith("dependency_requests_total{") and AVATARS in name:
            if 'outcome="short_circuited"' in name:
                refused += value
            else:
                attempted += value
    return attempted, refused


def poll(check, what: str, timeout: float = WAIT_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def test_a_post_with_an_avatar_shows_it_in_the_feed(fleet):
    social, avatars = fleet.url("social"), fleet.url("avatars")
    user = register_and_login(fleet.url("identity"))
    avatar_id = create_avatar(avatars, user, "Captain Teal")
    created = publish(social, user, "my new avatar!", avatar_id)
    assert created.status_code == 201, created.text
    page, item = feed_item(social, user, created.json()["id"])
    assert page["degraded"] is False
    assert item["author_name"] == "Captain Teal"
    assert item["avatar"]["id"] == avatar_id
    assert item["avatar"]["name"] == "Captain Teal"
    assert item["avatar"]["render_url"]


def test_someone_elses_avatar_cannot_be_posted_with(fleet):
    owner = register_and_login(fleet.url("identity"))
    other = register_and_login(fleet.url("identity"))
    avatar_id = create_avatar(fleet.url("avatars"), owner, "Not Yours")
    refused = publish(fleet.url("social"), other, "borrowed", avatar_id)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "avatar_id"


def test_without_avatars_the_feed_degrades_the_breaker_opens_and_the_feed_recovers(local_fleet):
    social = local_fleet.url("social")
    user = register_and_login(local_fleet.url("identity"))
    avatar_id = create_avatar(local_fleet.url("avatars"), user, "Resilient")
    post_id = publish(social, user, "still here", avatar_id).json()["id"]

    local_fleet.stop("avatars")
    try:
        # Once the snapshot is older than the TTL the feed asks avatars, fails, and degrades.
        # (Other posts' snapshots may age first: wait for ours to be the one left unconfirmed.)
        page, item = poll(
            lambda: (r := feed_item(social, user, post_id))[0]["degraded"] and r[1]["avatar"] is None and r,
            "a degraded feed without our post's avatar",
        )
        assert item["avatar_id"] == avatar_id
        assert item["author_name"] == "Resilient"

        # Repeated failures open the breaker (shown by its gauge, 2 = open) ...
        poll(lambda: feed_item(social, user, post_id) and breaker_state(social) == 2, "the breaker to open")
        attempted, refused = calls(social)
        # ... and while it is open, feed requests still answer 200 (degraded) but none reaches avatars.
        for _ in range(5):
            page, item = feed_item(social, user, post_id)
            assert page["degraded"] is True
        attempted_after, refused_after = calls(social)
        assert attempted_after == attempted, "no call reached avatars while the breaker was open"
        assert refused_after >= refused + 5
    finally:
        local_fleet.start("avatars")

    # After the reset delay one probe goes through, succeeds, and the feed is whole again.
    page, item = poll(
        lambda: (r := feed_item(social, user, post_id))[0]["degraded"] is False and r[1]["avatar"] and r,
        "the feed to recover",
    )
    assert item["avatar"]["id"] == avatar_id
    assert breaker_state(social) == 0
