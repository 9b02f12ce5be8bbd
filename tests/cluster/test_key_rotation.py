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
it (ten at once per replica, before any other token of that key exists) all wait for one shared
fetch per worker and pass; the old verifier accepted one of them and refused nine. Before the
rotations an attacker sends tokens with made-up kids from several threads: each is refused and
identity sees at most about one JWKS fetch per second per verifier worker (it stops before the
first rotation, so its fetches cannot hand the verifiers the next keys early). At the end the key
the second rotation dropped no longer verifies anywhere, even for a token every replica had cached.
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
from concurrent.futures import ThreadPoolExecutor
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
#: The junk-kid attacker: threads, and seconds between two requests of one thread.
JUNK_THREADS = 8
JUNK_EVERY_S = 0.05
#: Junk-kid requests answered before the rotations start.
JUNK_REQUESTS = 40
#: Requests sent at once to each replica with the first token of a newly promoted key.
BURST = 10
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
    paused: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.access = [u.access_token for u in self.users]
        self.refresh = [u.refresh_token for u in self.users]

    def _run(self) -> None:
        with httpx.Client(base_url=self.identity_url, timeout=10) as http:
            n = 0
            while not self._stop.is_set():
                if self.paused.is_set():
                    self._stop.wait(0.05)
                    continue
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
    _threads: list[threading.Thread] = field(default_factory=list)
    _clients: list[httpx.Client] = field(default_factory=list)
    started: float = 0.0

    def _run(self, clients: dict[str, httpx.Client]) -> None:
        n = 0
        while not self._stop.is_set():
            service = ("avatars", "social")[n % 2]
            token = _junk_kid_token()
            try:
                answer = clients[service].get(PROBES[service], headers={"Authorization": f"Bearer {token}"})
            except httpx.TransportError:
                self.statuses[0] += 1
            else:
                self.statuses[answer.status_code] += 1
            n += 1
            self._stop.wait(JUNK_EVERY_S)

    def start(self) -> None:
        # Clients are made here, not in the threads: on a busy machine the threads would spend the
        # whole attack building them.
        for i in range(JUNK_THREADS):
            clients = {s: httpx.Client(base_url=self.urls[s], timeout=10) for s in ("avatars", "social")}
            self._clients.extend(clients.values())
            thread = threading.Thread(target=self._run, args=(clients,), name=f"junk-kids-{i}", daemon=True)
            if not self._threads:
                self.started = time.monotonic()
            thread.start()
            self._threads.append(thread)

    def wait_for(self, requests: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while self.statuses.total() < requests and time.monotonic() < deadline:
            time.sleep(0.1)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(15)
        for client in self._clients:
            client.close()


def _jwks_fetches(replica: topology.Replica) -> int:
    text = httpx.get(f"{replica.url}/metrics", timeout=5).text
    return sum(
        int(float(v)) for v in re.findall(r'^auth_jwks_refreshes_total\{[^}]*outcome="ok"[^}]*\} (\S+)$', text, re.M)
    )


def _burst(cluster: topology.Topology, burst_user: list[str], statuses: Counter[int]) -> str:
    """The issue's case: a token from the first restarted identity replica, sent BURST times at once to
    every other replica before any other token of its key exists; returns its kid."""
    first = cluster.replica("identity", 0).url
    answer = httpx.post(f"{first}/v1/sessions/refresh", json={"refresh_token": burst_user[1]}, timeout=10)
    assert answer.status_code == 200, answer.text
    pair = answer.json()
    burst_user[:] = [pair["access_token"], pair["refresh_token"]]
    header = {"Authorization": f"Bearer {pair['access_token']}"}
    targets = [r for s in ("avatars", "social") for r in cluster.replicas[s]] + [cluster.replica("identity", 1)]
    clients = {r.name: httpx.Client(base_url=r.url, timeout=10) for r in targets}  # thread-safe, pooled
    barrier = threading.Barrier(BURST * len(targets))

    def one(replica: topology.Replica) -> int:
        barrier.wait(60)
        return clients[replica.name].get(PROBES[replica.service], headers=header).status_code

    try:
        with ThreadPoolExecutor(BURST * len(targets)) as pool:
            statuses.update(pool.map(one, [r for r in targets for _ in range(BURST)]))
    finally:
        for client in clients.values():
            client.close()
    return kid_of(pair["access_token"])


def _rollout(
    cluster: topology.Topology,
    sessions: Sessions,
    windows: list[tuple[str, float, float]],
    burst_user: list[str],
    burst: Counter[int],
) -> str:
    """Rotate the shared key folder (the Secret), then restart identity's replicas one at a time.

    The users' sessions pause from the rotation until the burst is sent (the load goes on with
    the tokens it holds, still valid), so the burst carries the first token of the new key."""
    sessions.paused.set()
    assert rotate_keys(cluster.folder / "keys") is None
    cluster.restart("identity", 0)
    kid = _burst(cluster, burst_user, burst)
    sessions.paused.clear()
    side_by_side = time.monotonic()
    time.sleep(SIDE_BY_SIDE_S)
    windows.append(("side_by_side", side_by_side, time.monotonic()))
    cluster.restart("identity", 1)
    time.sleep(STEADY_S)
    return kid


def test_two_rotations_under_load_refuse_no_valid_token(cluster_factory) -> None:
    cluster = cluster_factory()
    users = make_users(cluster, USERS)
    spare = make_users(cluster, 1)[0]
    burst_user = [spare.access_token, spare.refresh_token]
    burst: Counter[int] = Counter()
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
        junk.wait_for(JUNK_REQUESTS)
        junk.stop()  # before any rotation: its fetches must not hand the verifiers the next keys early
        attacked_s = time.monotonic() - junk.started
        attacked_fetches = {r.name: _jwks_fetches(r) - fetches_before[r.name] for r in verifiers}
        promoted = [_rollout(cluster, sessions, windows, burst_user, burst) for _ in range(2)]
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
        "jwks_fetches_while_attacked": attacked_fetches,
        "attacked_s": round(attacked_s, 1),
        "first_token_bursts": dict(burst),
        "kids_minted_side_by_side": [len(sessions.kids_between(a, b)) for _, a, b in windows],
    }
    print("key rotation under load:", json.dumps(figures, sort_keys=True))

    assert unauthorized == [], f"{len(unauthorized)} valid tokens refused: {Counter(unauthorized)}"
    assert dict(burst) == {200: 2 * BURST * 5}, f"first tokens of a new key sent at once: {burst}"
    assert len(set(promoted)) == 2, promoted
    assert record.requests > 300, record.summary()
    assert len(by_kid) == 3, f"the load used tokens of the three signing keys in turn: {by_kid}"
    for name, start, end in windows:
        assert len(sessions.kids_between(start, end)) == 2, f"{name}: old and new identity replicas both signed"
    assert all(n >= 1 for n in fetches.values()), f"every verifier replica fetched the JWKS during the run: {fetches}"
    assert set(junk.statuses) == {401}, junk.statuses
    assert junk.statuses.total() >= JUNK_REQUESTS, junk.statuses
    assert max(attacked_fetches.values()) <= attacked_s / 1.0 + 2, f"at most ~1 fetch/s under junk: {attacked_fetches}"

    # The key the second rotation dropped: refused everywhere, cached or not. identity's replicas
    # no longer hold it; a verifier drops it at its next fetch, which a token with an unknown kid
    # starts at once (every identity replica now publishes the new set).
    unknown = {"Authorization": f"Bearer {_junk_kid_token()}"}
    for replica in verifiers:
        assert httpx.get(f"{replica.url}{PROBES[replica.service]}", headers=unknown, timeout=10).status_code == 401
    for replica in [*verifiers, *cluster.replicas["identity"]]:
        refused = httpx.get(f"{replica.url}{PROBES[replica.service]}", headers=users[0].auth, timeout=10)
        assert refused.status_code == 401, (replica.name, "a token of the dropped key still verifies")
