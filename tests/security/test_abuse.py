"""Abuse: rate limits, oversized bodies, slow and huge headers, hostile strings.

The rate-limit and slow-header tests use the ``tight`` fleet (1 request/s with a burst of 5, 3 on
credential routes, a 2 s header-read timeout); the rest use the production-like ``fleet``.
"""

from __future__ import annotations

import socket
import time
import uuid

import httpx
import pytest

from tests.reliability import support
from tests.reliability.support import TALLY, mint

MAX_BODY = 65_536


def test_the_default_limit_is_429_problem_json_with_retry_after_per_user(tight, services):
    for service in services:
        alice, bob = (mint(tight.keys, str(uuid.uuid4())) for _ in range(2))
        path = support.PROTECTED_PROBE[service]
        with httpx.Client(base_url=tight.url(service), timeout=10) as http:
            answers = [http.get(path, headers={"Authorization": f"Bearer {alice}"}) for _ in range(12)]
            statuses = [r.status_code for r in answers]
            TALLY.add("rate_limit_requests", len(answers))
            # (identity answers 404 for a minted user it never registered: still served)
            assert all(s in (200, 404) for s in statuses[:5]), (service, statuses)
            limited = [r for r in answers if r.status_code == 429]
            assert len(limited) >= 5, (service, statuses)
            for response in limited:
                support.assert_problem(response, 429)
                assert int(response.headers["retry-after"]) >= 1
            # the limit is per caller: another user is not affected
            assert http.get(path, headers={"Authorization": f"Bearer {bob}"}).status_code in (200, 404)
            # and it refills: after Retry-After the first user is served again
            time.sleep(int(limited[-1].headers["retry-after"]) + 0.2)
            assert http.get(path, headers={"Authorization": f"Bearer {alice}"}).status_code in (200, 404)


def test_credential_routes_have_a_strict_limit_per_address(tight):
    # a different e-mail each time: the per-account throttle must not be what answers here
    emails = [f"rl-{uuid.uuid4().hex[:10]}@example.com" for _ in range(6)]
    for email in emails:
        support.remember(email)
    with httpx.Client(base_url=tight.url("identity"), timeout=15) as http:
        answers = [
            http.post("/v1/sessions", json={"email": email, "password": "wrong password here"}) for email in emails
        ]
    statuses = [r.status_code for r in answers]
    TALLY.add("rate_limit_requests", len(answers))
    assert statuses[:3] == [401, 401, 401], statuses
    assert statuses[3:] == [429, 429, 429], statuses
    for response in answers[3:]:
        support.assert_problem(response, 429)
        assert int(response.headers["retry-after"]) >= 1


def _post_targets(fleet, service):
    """Every operation of ``service`` that takes a body (path ids filled with random UUIDs)."""
    import re

    with httpx.Client(base_url=fleet.url(service), timeout=10) as http:
        spec = http.get("/docs/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation and path.startswith("/v1/"):
                yield method.upper(), re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


def test_a_body_over_the_limit_is_413_problem_json_everywhere(fleet, services):
    user = support.new_user(fleet.url("identity"))
    big = b'{"text": "' + b"x" * (MAX_BODY + 10) + b'"}'
    headers = {**user.auth, "content-type": "application/json"}

    def chunks():
        for start in range(0, len(big), 8192):
            yield big[start : start + 8192]

    for service in services:
        for method, path in _post_targets(fleet, service):
            # a fresh connection each: the server may close one after answering 413 early
            for content in (big, chunks()):
                with httpx.Client(base_url=fleet.url(service), timeout=15) as http:
                    support.assert_problem(http.request(method, path, content=content, headers=headers), 413)
                TALLY.add("oversized_bodies")
        with httpx.Client(base_url=fleet.url(service), timeout=5) as http:
            assert http.get("/livez").status_code == 200


def _raw(port: int, payload: bytes, timeout: float = 10) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(payload)
            return s.recv(256)
        except (BrokenPipeError, ConnectionResetError) as exc:
            return repr(exc).encode()


@pytest.mark.parametrize("size", [200_000, 500_000, 4_000_000])
def test_huge_headers_are_refused_and_the_service_carries_on(fleet, services, size):
    """Above the 128 KiB HTTP/1 buffer (scripts/fleet.py, the chart, the image) a head is a 431.

    With Granian's default buffer a 500 KB header was answered 200 about one time in three.
    """
    for service in services:
        port = fleet.ports[service]
        answer = _raw(port, b"GET /livez HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * size + b"\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 431") or b"Broken" in answer or b"Reset" in answer, answer
        many = b"".join(b"X-H%d: %s\r\n" % (i, b"b" * 100) for i in range(5000))
        answer = _raw(port, b"GET /livez HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
        assert not answer.startswith(b"HTTP/1.1 2"), answer[:80]
        TALLY.add("huge_header_requests", 2)
        with httpx.Client(base_url=fleet.url(service), timeout=5) as http:
            assert http.get("/livez").status_code == 200


def test_slow_headers_are_cut_off_by_the_header_read_timeout(tight, services):
    """Slowloris: 30 connections trickle headers; each is closed after the 2 s timeout and normal
    requests are served meanwhile."""
    port = tight.ports[services[0]]
    sockets = []
    for _ in range(30):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\n")
        sockets.append(s)
    started = time.monotonic()
    closed_at: dict[int, float] = {}
    latencies = []
    with httpx.Client(base_url=tight.url(services[0]), timeout=5) as http:
        while len(closed_at) < len(sockets) and time.monotonic() - started < 12:
            for i, s in enumerate(sockets):
                if i in closed_at:
                    continue
                try:
                    s.sendall(b"X-Slow: 1\r\n")
                    s.settimeout(0.01)
                    data = s.recv(64)
                    if data == b"" or data.startswith(b"HTTP/1.1 408"):
                        closed_at[i] = time.monotonic() - started
                except TimeoutError:
                    pass
                except (BrokenPipeError, ConnectionResetError):
                    closed_at[i] = time.monotonic() - started
            t = time.monotonic()
            assert http.get("/livez").status_code == 200
            latencies.append(time.monotonic() - t)
            time.sleep(0.2)
    for s in sockets:
        s.close()
    TALLY.put(
        "slowloris",
        {
            "connections": len(sockets),
            "closed": len(closed_at),
            "last_closed_s": round(max(closed_at.values(), default=-1), 2),
            "max_livez_latency_s": round(max(latencies), 3),
        },
    )
    assert len(closed_at) == len(sockets), f"{len(sockets) - len(closed_at)} slow connections still open after 12 s"
    assert max(closed_at.values()) < 6
    assert max(latencies) < 1.0


HOSTILE = [
    "Robert'); DROP TABLE accounts;--",
    "' OR '1'='1",
    "1; SELECT pg_sleep(10)--",
    "$1 $$ \\x00 %s %n {0} ${jndi:ldap://x}",
    "a\u0000b",
    "\u0000",
    "e\u0301 \u00e9 \ufb01 \u2126 \u212b",  # combining marks and NFKC-sensitive characters
    "\u202etxet.exe \u200b\u200d\u2060 \ufeff",  # bidi override, zero-width joiners, BOM
    "\U0001f600\U0001f469\u200d\U0001f469\u200d\U0001f467 \U00010348 \U000e0041",  # astral
    "\u0007\u001b[31mred\u001b[0m\r\n\t",
    "<script>alert(1)</script>",
    "\ud7ff\ue000\uffff",
    "x" * 5000,
    "ü" * 1000,
]


def _string_case(value: str) -> str:
    return value.encode("unicode_escape")[:40].decode()


@pytest.mark.parametrize("value", HOSTILE, ids=_string_case)
def test_hostile_strings_in_identity_never_5xx_and_what_is_stored_is_returned(fleet, value):
    local = "".join(c for c in value if not c.isspace() and c != "@")[:40] or "x"
    email = f"{local}.{uuid.uuid4().hex[:6]}@example.com"
    password = value if len(value) >= 12 else value + " padding to twelve chars"
    support.remember(email, password)
    with httpx.Client(base_url=fleet.url("identity"), timeout=15) as http:
        created = http.post("/v1/accounts", json={"email": email, "password": password[:128]})
        TALLY.add("hostile_string_requests")
        assert created.status_code < 500, created.text
        if created.status_code >= 400:
            support.assert_problem(created)
            return
        login = http.post("/v1/sessions", json={"email": email, "password": password[:128]})
        TALLY.add("hostile_string_requests")
        assert login.status_code == 200, login.text
        support.remember(login.json()["access_token"], login.json()["refresh_token"])
        me = http.get("/v1/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"})
        import unicodedata

        assert me.json()["email"] == unicodedata.normalize("NFKC", email).strip().lower()
        assert created.json()["email"] == me.json()["email"]


@pytest.mark.parametrize("value", HOSTILE, ids=_string_case)
def test_hostile_strings_in_identity_login_never_5xx(fleet, value):
    with httpx.Client(base_url=fleet.url("identity"), timeout=15) as http:
        answer = http.post("/v1/sessions", json={"email": value[:254], "password": value[:128] or "x"})
        TALLY.add("hostile_string_requests")
        assert answer.status_code < 500, answer.text
        support.assert_problem(answer)


@pytest.mark.parametrize("value", HOSTILE, ids=_string_case)
def test_hostile_strings_in_social_never_5xx_and_what_is_stored_is_returned(fleet, services, value):
    assert "social" in services
    user = support.new_user(fleet.url("identity"))
    with httpx.Client(base_url=fleet.url("social"), timeout=15, headers=user.auth) as http:
        post = http.post("/v1/posts", json={"text": value[:2000]})
        TALLY.add("hostile_string_requests")
        assert post.status_code < 500, post.text
        if post.status_code >= 400:
            support.assert_problem(post)
        else:
            assert post.json()["text"] == value[:2000]
            exported = http.get("/v1/me/posts/export")
            assert exported.status_code == 200
            import json

            texts = [json.loads(line)["text"] for line in exported.text.splitlines() if line.strip()]
            assert value[:2000] in texts
            comment = http.post(f"/v1/posts/{post.json()['id']}/comments", json={"text": value[:1000]})
            TALLY.add("hostile_string_requests")
            assert comment.status_code < 500, comment.text
            if comment.status_code < 400:
                assert comment.json()["text"] == value[:1000]
            else:
                support.assert_problem(comment)
