"""Authorization: every operation that takes an id, tried by another user → 404, nothing changed.

Every path-parameter operation in each service's OpenAPI must be classified below, so a new
endpoint fails this suite until someone decides whether it is owner-only.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.reliability import support
from tests.reliability.support import TALLY

#: Owner-only operations: another user's id must look exactly like a missing one (404).
OWNER_ONLY: dict[str, set[tuple[str, str]]] = {
    "social": {("DELETE", "/v1/posts/{post_id}"), ("DELETE", "/v1/comments/{comment_id}")},
    "avatars": {
        ("GET", "/v1/avatar-drafts/{draft_id}"),
        ("PUT", "/v1/avatar-drafts/{draft_id}/shape"),
        ("PUT", "/v1/avatar-drafts/{draft_id}/palette"),
        ("PUT", "/v1/avatar-drafts/{draft_id}/accessories"),
        ("PUT", "/v1/avatar-drafts/{draft_id}/name"),
        ("GET", "/v1/avatar-drafts/{draft_id}/preview.svg"),
        ("POST", "/v1/avatar-drafts/{draft_id}/complete"),
        ("PATCH", "/v1/avatars/{avatar_id}"),
        ("DELETE", "/v1/avatars/{avatar_id}"),
    },
}
#: Operations on other users' things that are allowed by design.
SHARED: dict[str, set[tuple[str, str]]] = {
    "social": {
        ("PUT", "/v1/posts/{post_id}/like"),
        ("DELETE", "/v1/posts/{post_id}/like"),
        ("POST", "/v1/posts/{post_id}/comments"),
        ("GET", "/v1/users/{user_id}/reputation"),
    },
    # the render is public (browsers load it from <img> tags without a token); /image.svg is the
    # route the documented /{avatar_id}.svg alias is served by
    "avatars": {
        ("GET", "/v1/avatars/{avatar_id}"),
        ("GET", "/v1/avatars/{avatar_id}.svg"),
        ("GET", "/v1/avatars/{avatar_id}/image.svg"),
    },
}


@pytest.mark.parametrize("service", support.services())
def test_every_operation_with_an_id_is_classified(fleet, service):
    with httpx.Client(base_url=fleet.url(service), timeout=10) as http:
        spec = http.get("/docs/openapi.json").json()
    with_ids = {
        (m.upper(), p)
        for p, ops in spec["paths"].items()
        if "{" in p and p.startswith("/v1/")
        for m in ops
        if m.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}
    }
    known = OWNER_ONLY.get(service, set()) | SHARED.get(service, set())
    assert with_ids <= known, (
        f"classify these {service} operations in test_authorization.py: {sorted(with_ids - known)}"
    )


def _export(http: httpx.Client) -> list[dict]:
    answer = http.get("/v1/me/posts/export")
    assert answer.status_code == 200
    return [json.loads(line) for line in answer.text.splitlines() if line.strip()]


def test_social_another_users_post_and_comment_cannot_be_deleted(fleet, services):
    assert "social" in services
    alice, bob = support.new_user(fleet.url("identity")), support.new_user(fleet.url("identity"))
    url = fleet.url("social")
    with (
        httpx.Client(base_url=url, timeout=10, headers=alice.auth) as a,
        httpx.Client(base_url=url, timeout=10, headers=bob.auth) as b,
    ):
        post = a.post("/v1/posts", json={"text": "alice's post"}).json()
        comment = a.post(f"/v1/posts/{post['id']}/comments", json={"text": "alice's comment"}).json()
        before = _export(a)
        score_before = a.get(f"/v1/users/{alice.id}/reputation").json()
        score_before.pop("computed_at")  # "now" at each call; the score itself must not move
        missing_post = b.delete(f"/v1/posts/{support.uuid.uuid4()}")
        for attempt in (
            b.delete(f"/v1/posts/{post['id']}"),
            b.delete(f"/v1/comments/{comment['id']}"),
        ):
            TALLY.add("authorization_attempts")
            body = support.assert_problem(attempt, 404)
            assert alice.id not in attempt.text
            assert set(body) <= {"title", "status", "detail", "type"}
        assert missing_post.status_code == 404
        assert _export(a) == before
        score_after = a.get(f"/v1/users/{alice.id}/reputation").json()
        score_after.pop("computed_at")
        assert score_after == score_before
        # the owner still can
        assert a.delete(f"/v1/comments/{comment['id']}").status_code == 204
        assert a.delete(f"/v1/posts/{post['id']}").status_code == 204
