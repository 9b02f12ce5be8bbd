"""Abuse limits measured behind the proxy, with two identity replicas and distinct client addresses.

The replicas trust the proxy (``TRUSTED_PROXIES=127.0.0.1/32``: HAProxy connects to them from
127.0.0.1 and appends ``X-Forwarded-For``); clients bind 127.0.0.2 and up. Limits are tight so
that each measurement is a few dozen requests: per address and replica, 5 credential requests
(then 0.2/s) and 10 others (then 1/s); per account, 5 login attempts per 30 s window. Each test
prints what it sent and what came back; docs/reliability.md records the figures.
"""

from __future__ import annotations

import base64
import math
import re
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.cluster import topology
from tests.e2e.client import PASSWORD

ABUSE_ENV = {
    "TRUSTED_PROXIES": "127.0.0.1/32",
    "RATE_LIMIT_STRICT_RPS": "0.2",
    "RATE_LIMIT_STRICT_BURST": "5",
    "RATE_LIMIT_RPS": "1",
    "RATE_LIMIT_BURST": "10",
    "IDENTITY_LOGIN_BUDGET": "5",
    "IDENTITY_LOGIN_WINDOW_S": "30",
    "IDENTITY_LOGIN_BACKOFF_S": "0",
    "LOG_FORMAT": "json",
}
BUDGET, WINDOW_S = 5, 30
STRICT_BURST, STRICT_RPS, BURST, RPS = 5, 0.2, 10, 1.0
ACCOUNT_HELD = "Too many login attempts for this account"


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> Iterator[topology.Topology]:
    folder: Path = tmp_path_factory.mktemp("abuse")
    with topology.running(folder, services=("identity",), extra_env=ABUSE_ENV) as running:
        yield running


def client(base_url: str, address: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=15, transport=httpx.HTTPTransport(local_address=address))


def statuses(answers: list[httpx.Response]) -> dict[int, int]:
    return dict(sorted(Counter(a.status_code for a in answers).items()))


def login(http: httpx.Client, email: str, password: str, **headers: str) -> httpx.Response:
    return http.post("/v1/sessions", json={"email": email, "password": password}, headers=headers)


def register(cluster: topology.Topology, address: str) -> str:
    email = f"abuse-{uuid.uuid4().hex[:10]}@example.com"
    with client(cluster.url("identity"), address) as http:
        created = http.post("/v1/accounts", json={"email": email, "password": PASSWORD})
    assert created.status_code == 201, created.text
    return email


def metric(cluster: topology.Topology, name: str, **labels: str) -> float:
    """A sample summed over every identity replica, read from each replica's own /metrics."""
    total = 0.0
    for replica in cluster.replicas["identity"]:
        text = httpx.get(f"{replica.url}/metrics", timeout=5).text
        for line in text.splitlines():
            if line.startswith(name):
                series, value = line.rsplit(" ", 1)
                found = dict(re.findall(r'(\w+)="([^"]*)"', series))
                if series.split("{")[0] == name and all(found.get(k) == v for k, v in labels.items()):
                    total += float(value)
    return total


def test_one_abusive_client_behind_the_proxy_does_not_lock_out_another(identity):
    victim = register(identity, "127.0.0.4")
    started = time.monotonic()
    with client(identity.url("identity"), "127.0.0.2") as abuser:
        flood = [login(abuser, f"nobody-{i}@example.com", "guessing away!") for i in range(30)]
    allowed = strict_allowance(time.monotonic() - started, replicas=2)
    with client(identity.url("identity"), "127.0.0.3") as other:
        answer = login(other, victim, PASSWORD)
    print(
        f"\nabuser 127.0.0.2: {len(flood)} logins -> {statuses(flood)} (limit allows {allowed});"
        f" other client 127.0.0.3 -> {answer.status_code}"
    )
    assert statuses(flood).get(401, 0) <= allowed, "the abuser is limited per address"
    assert answer.status_code == 200, answer.text


def strict_allowance(elapsed_s: float, replicas: int) -> int:
    """Credential requests one address may make in ``elapsed_s``: each replica's burst and refill."""
    return int(replicas * (STRICT_BURST + STRICT_RPS * elapsed_s))


def test_forwarded_headers_from_an_untrusted_peer_are_ignored(identity):
    replica = identity.replica("identity", 0)
    started = time.monotonic()
    with client(replica.url, "127.0.0.5") as direct:
        spoofed = [
            login(direct, f"nobody-{i}@example.com", "guessing away!", **{"x-forwarded-for": f"203.0.113.{i}"})
            for i in range(20)
        ]
    direct_allowed = strict_allowance(time.monotonic() - started, replicas=1)
    started = time.monotonic()
    with client(identity.url("identity"), "127.0.0.6") as via_proxy:
        prefixed = [
            login(via_proxy, f"nobody-{i}@example.com", "guessing away!", **{"x-forwarded-for": f"198.51.100.{i}"})
            for i in range(20)
        ]
    proxy_allowed = strict_allowance(time.monotonic() - started, replicas=2)
    print(
        f"\ndirect to a replica from 127.0.0.5, a new X-Forwarded-For each: {len(spoofed)} -> {statuses(spoofed)}"
        f"\nthrough the proxy from 127.0.0.6, a new X-Forwarded-For each: {len(prefixed)} -> {statuses(prefixed)}"
    )
    assert statuses(spoofed).get(401, 0) <= direct_allowed, "a new X-Forwarded-For does not buy a new bucket"
    assert statuses(spoofed).get(429, 0) >= 20 - direct_allowed
    assert statuses(prefixed).get(401, 0) <= proxy_allowed
    assert set(statuses(spoofed)) | set(statuses(prefixed)) <= {401, 429}


def _guess_round(cluster: topology.Topology, email: str, guesses: int, addresses: list[str]) -> list[httpx.Response]:
    def guess(i: int) -> httpx.Response:
        with client(cluster.url("identity"), addresses[i % len(addresses)]) as http:
            return login(http, email, f"guess number {i}!")

    with ThreadPoolExecutor(len(addresses)) as pool:
        return list(pool.map(guess, range(guesses)))


def test_password_guesses_over_replicas_and_addresses_meet_one_budget_per_window(identity):
    owner = register(identity, "127.0.0.9")
    addresses = [f"127.0.0.{10 + i}" for i in range(8)]
    started = time.monotonic()
    answers = _guess_round(identity, owner, 40, addresses)
    elapsed = time.monotonic() - started
    windows = math.ceil(elapsed / WINDOW_S)  # a round slower than the window meets the budget twice
    checked = sum(a.status_code == 401 for a in answers)
    held = sum(a.status_code == 429 and ACCOUNT_HELD in a.text for a in answers)
    time.sleep(max(0.0, WINDOW_S * windows + 3 - (time.monotonic() - started)))  # the window opened at the first guess
    with client(identity.url("identity"), "127.0.0.20") as http:
        owner_login = login(http, owner, PASSWORD)
    print(
        f"\n{len(answers)} guesses for one account from {len(addresses)} addresses over 2 replicas in {elapsed:.1f} s"
        f" (window {WINDOW_S} s, budget {BUDGET}): {checked} checked (401), {held} held for the account (429),"
        f" {statuses(answers)}; the owner after the window -> {owner_login.status_code}"
    )
    assert 1 <= checked <= BUDGET * windows
    assert all(a.status_code in (401, 429) for a in answers)
    assert owner_login.status_code == 200, owner_login.text


def _bad_signature(token: str, i: int) -> str:
    header, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[:4] = i.to_bytes(4, "big")
    return f"{header}.{payload}.{base64.urlsafe_b64encode(bytes(raw)).rstrip(b'=').decode()}"


def test_junk_token_floods_are_429_before_signature_work(identity):
    user = register(identity, "127.0.0.21")
    with client(identity.url("identity"), "127.0.0.21") as http:
        token = login(http, user, PASSWORD).json()["access_token"]
    before = metric(identity, "auth_token_verifications_total")
    started = time.monotonic()
    with client(identity.url("identity"), "127.0.0.7") as flood:
        answers = [
            flood.get("/v1/me", headers={"authorization": f"Bearer {_bad_signature(token, i)}"}) for i in range(100)
        ]
    allowed = int(2 * (BURST + RPS * (time.monotonic() - started)))
    verified = metric(identity, "auth_token_verifications_total") - before
    print(f"\njunk-token flood from 127.0.0.7: {len(answers)} -> {statuses(answers)}; signature checks: {verified:.0f}")
    assert verified == statuses(answers).get(401, 0), "every 429 was answered without a signature check"
    assert verified <= allowed
    assert statuses(answers).get(429, 0) >= 100 - allowed


def test_unknown_path_floods_show_in_metrics_and_get_429(identity):
    before = metric(identity, "http_requests_total", route="unmatched")
    started = time.monotonic()
    with client(identity.url("identity"), "127.0.0.8") as scanner:
        answers = [scanner.get(f"/wp-login-{i}.php") for i in range(100)]
    allowed = int(2 * (BURST + RPS * (time.monotonic() - started)))
    counted = metric(identity, "http_requests_total", route="unmatched") - before
    print(
        f"\nunknown-path flood from 127.0.0.8: {len(answers)} -> {statuses(answers)};"
        f" counted as unmatched: {counted:.0f}"
    )
    assert counted == 100
    assert statuses(answers).get(404, 0) <= allowed
    assert statuses(answers).get(429, 0) >= 100 - allowed
