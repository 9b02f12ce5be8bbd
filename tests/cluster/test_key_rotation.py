"""Signing-key rotation under steady load through the proxy: no valid token is ever refused.

Two replicas of every service behind HAProxy (tests/cluster/topology.py). Users keep refreshing
their sessions through identity's proxy, so every request carries a token identity issued a moment
earlier (a valid token); the load sends them to identity, avatars and social. Meanwhile the keys
are rotated twice, each time like a Secret update and a rolling restart: ``rotate-keys`` on the
folder every identity replica reads, then identity-0 restarted, a pause with old and new identity
replicas side by side (each signing with its own key), then identity-1.

What it shows, with the verifiers' routine JWKS refresh left at its default (300 s, longer than the
run): the first rotation promotes a key every verifier fetched at start (published as ``next``), so
no fetch is needed; the second promotes a key they have never fetched, so the first requests with
it (several at once per replica) all wait for one shared fetch per worker and pass. All along an
attacker sends tokens with made-up kids: each is refused, identity sees at most about one JWKS
fetch per second per verifier worker, and none of it delays a valid token into a refusal (the old
cool-down refused every new kid for 10 s after such a fetch). At the end the key the second
rotation dropped no longer verifies anywhere, even for a token every replica had cached.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from identity.tokens import rotate_keys
from tests.cluster import topology
from tests.cluster.conftest import make_users
from tests.cluster.load import Action, LoadGenerator
from tests.e2e.client import User

PROBES = {"identity": "/v1/me", "avatars": "/v1/me/avatars", "social": "/v1/feed"}
USERS = 4
#: Load threads (distinct client addresses) sharing the users' tokens: several requests at once
#: carry a newly promoted key to the same replica.
LOAD_THREADS = 12
#: Seconds between two requests of the junk-kid attacker.
JUNK_EVERY_S = 0.1
#: Seconds of load before, between and after the restarts of one rollout.
STEADY_S = 4.0
SIDE_BY_SIDE_S = 4.0


def kid_of(token: str) -> str:
    header = token.split(".", 1)[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


@dataclass
class Sessions:
    """The users' freshest access tokens, kept fresh by a thread refreshing through identity's proxy."""

    identity_url: str
    users: list[User]
    access: list[str] = field(default_factory=list)
    refresh: list[str] = field(default_factory=list)
    minted: list[tuple[float, str]] = field(default_factory=list)  # (when, kid) of each new token
    refresh_statuses: Counter[int] = field(default_factory=Counter)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.access = [u.access_token for u in self.users]
        self.refresh = [u.refresh_token for u in self.users]

    def _run(self) -> None:
        with httpx.Client(base_url=self.identity_url, timeout=10) as http:
            n = 0
            while not self._stop.is_set():
                i = n % len(self.users)
                try:
                    answer = http.post("/v1/sessions/refresh", json={"refresh_token": self.refresh[i]})
                except httpx.TransportError:
                    self.refresh_statuses[0] += 1
                else:
                    self.refresh_statuses[answer.status_code] += 1
                    if answer.status_code == 200:
                        pair = answer.json()
                        self.access[i], self.refresh[i] = pair["access_token"], pair["refresh_token"]
                        self.minted.append((time.monotonic(), kid_of(pair["access_token"])))
                n += 1
                self._stop.wait(0.05)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sessions", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(15)

    def kids_between(self, start: float, end: float) -> set[str]:
        return {kid for when, kid in self.minted if start <= when <= end}


def _probe(
    service: str, sessions: Sessions, seen: list[tuple[str, int]]
) -> Callable[[httpx.Client, int], httpx.Response]:
    def call(client: httpx.Client, n: int) -> httpx.Response:
        token = sessions.access[n % USERS]
        response = client.get(PROBES[service], headers={"Authorization": f"Bearer {token}"})
        seen.append((kid_of(token), response.status_code))
        return response

    return call


def _junk_kid_token() -> str:
    rogue = Ed25519PrivateKey.generate()
    now = int(time.time())
    claims = {"iss": "fleet-identity", "aud": "fleet", "sub": "00000000-0000-7000-8000-000000000000"}
    claims |= {"iat": now, "nbf": now, "exp": now + 60, "jti": "junk", "typ": "access"}
    return jwt.encode(claims, rogue, algorithm="EdDSA", headers={"kid": f"junk-{uuid.uuid4().hex}"})


@dataclass
class JunkKids:
    """An attacker: tokens with a new made-up kid, alternately to avatars and social, through the proxy."""

    urls: dict[str, str]
    statuses: Counter[int] = field(default_factory=Counter)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _run(self) -> None:
        clients = {s: httpx.Client(base_url=self.urls[s], timeout=10) for s in ("avatars", "social")}
        n = 0
        try:
            while not self._stop.is_set():
                service = ("avatars", "social")[n % 2]
                answer = clients[service].get(PROBES[service], headers={"Authorization": f"Bearer {_junk_kid_token()}"})
                self.statuses[answer.status_code] += 1
                n += 1
                self._stop.wait(JUNK_EVERY_S)
        finally:
            for client in clients.values():
                client.close()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="junk-kids", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(15)


def _jwks_fetches(replica: topology.Replica) -> int:
    text = httpx.get(f"{replica.url}/metrics", timeout=5).text
    return sum(
        int(float(v)) for v in re.findall(r'^auth_jwks_refreshes_total\{[^}]*outcome="ok"[^}]*\} (\S+)$', text, re.M)
    )


def _rollout(cluster: topology.Topology, sessions: Sessions, windows: list[tuple[str, float, float]]) -> None:
    """Rotate the shared key folder (the Secret), then restart identity's replicas one at a time."""
    assert rotate_keys(cluster.folder / "keys") is None
    cluster.restart("identity", 0)
    side_by_side = time.monotonic()
    time.sleep(SIDE_BY_SIDE_S)
    windows.append(("side_by_side", side_by_side, time.monotonic()))
    cluster.restart("identity", 1)
    time.sleep(STEADY_S)


def test_two_rotations_under_load_refuse_no_valid_token(cluster_factory) -> None:
    cluster = cluster_factory()
    users = make_users(cluster, USERS)
    verifiers = [r for s in ("avatars", "social") for r in cluster.replicas[s]]
    for replica in [*verifiers, *cluster.replicas["identity"]]:  # every replica caches it
        ok = httpx.get(f"{replica.url}{PROBES[replica.service]}", headers=users[0].auth, timeout=5)
        assert ok.status_code == 200, (replica.name, ok.text)
    fetches_before = {r.name: _jwks_fetches(r) for r in verifiers}

    sessions = Sessions(cluster.url("identity"), users)
    junk = JunkKids(cluster.urls())
    seen: list[tuple[str, int]] = []
    actions = [Action(f"get {s}", s, _probe(s, sessions, seen)) for s in PROBES]
    windows: list[tuple[str, float, float]] = []
    sessions.start()
    junk.start()
    with LoadGenerator(cluster.urls(), actions, users=LOAD_THREADS, pause_s=0.02) as load:
        time.sleep(STEADY_S)
        _rollout(cluster, sessions, windows)
        _rollout(cluster, sessions, windows)
    junk.stop()
    sessions.stop()
    record = load.record

    fetches = {r.name: _jwks_fetches(r) - fetches_before[r.name] for r in verifiers}
    unauthorized = [kid for kid, status in seen if status == 401]
    by_kid = Counter(kid for kid, _ in seen)
    figures = {
        **record.summary(),
        "unauthorized_401": len(unauthorized),
        "requests_by_signing_key": {f"key{i}": by_kid[kid] for i, kid in enumerate(by_kid)},
        "token_refreshes": dict(sessions.refresh_statuses),
        "jwks_fetches_per_verifier_replica": fetches,
        "junk_kid_requests": dict(junk.statuses),
        "kids_minted_side_by_side": [len(sessions.kids_between(a, b)) for _, a, b in windows],
    }
    print("key rotation under load:", json.dumps(figures, sort_keys=True))

    assert unauthorized == [], f"{len(unauthorized)} valid tokens refused: {Counter(unauthorized)}"
    assert record.requests > 300, record.summary()
    assert len(by_kid) == 3, f"the load used tokens of the three signing keys in turn: {by_kid}"
    for name, start, end in windows:
        assert len(sessions.kids_between(start, end)) == 2, f"{name}: old and new identity replicas both signed"
    assert all(n >= 1 for n in fetches.values()), f"every verifier replica fetched the JWKS during the run: {fetches}"
    assert set(junk.statuses) == {401}, junk.statuses
    duration = record.stopped - record.started
    assert max(fetches.values()) <= duration / 1.0 + 5, f"junk kids make identity serve at most ~1 fetch/s: {fetches}"

    # The key the second rotation dropped: refused everywhere, cached or not. identity's replicas
    # no longer hold it; a verifier drops it at its next fetch, which a token with an unknown kid
    # starts at once (every identity replica now publishes the new set).
    unknown = {"Authorization": f"Bearer {_junk_kid_token()}"}
    for replica in verifiers:
        assert httpx.get(f"{replica.url}{PROBES[replica.service]}", headers=unknown, timeout=10).status_code == 401
    for replica in [*verifiers, *cluster.replicas["identity"]]:
        refused = httpx.get(f"{replica.url}{PROBES[replica.service]}", headers=users[0].auth, timeout=10)
        assert refused.status_code == 401, (replica.name, "a token of the dropped key still verifies")
