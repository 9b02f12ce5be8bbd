"""Shared support of the reliability and security suites (issue 9).

- ``local_fleet``: the fleet as Granian processes (scripts/fleet.py ``LocalFleet``) on a server we
  name, with its own databases, free ports and log folder; every log folder is remembered so the
  secrets test can read every line the services wrote during the run.
- ``Throwaway``: a private PostgreSQL cluster on a free port, the one the fault tests stop and
  start (the machine's PostgreSQL at 5432 is shared and is never stopped).
- Users and tokens: ``new_user`` registers through identity; ``mint`` signs tokens with the local
  fleet's own key (``fleet.keys/current.pem``) so attacks can be built byte by byte.
- ``SECRETS``: every password, access token, refresh token and e-mail the suites used; the secrets
  tests assert that none of them appears in any log line.
- ``Tally``: counts of requests tried, faults injected, errors seen and recovery times, written to
  ``.tools/reliability/<suite>.json`` at the end of the run for docs/reliability.md.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "scripts") not in sys.path:
    sys.path.insert(0, str(ROOT / "scripts"))

import fleet as harness  # noqa: E402

from fleetkit.testing import admin_dsn  # noqa: E402
from tests.e2e.client import PASSWORD, User, register_and_login  # noqa: E402

PROBLEM_JSON = "application/problem+json"
ISSUER = "fleet-identity"
AUDIENCE = "fleet"
#: A protected GET per service that needs nothing but a valid token (the token-attack target).
PROTECTED_PROBE: Mapping[str, str] = {
    "identity": "/v1/me",
    "avatars": "/v1/me/avatars",
    "social": "/v1/feed",
}
#: Credential routes get generous limits in the functional fleets (many users from one address).
GENEROUS_LIMITS: Mapping[str, str] = {
    "RATE_LIMIT_STRICT_RPS": "500",
    "RATE_LIMIT_STRICT_BURST": "5000",
    "RATE_LIMIT_RPS": "2000",
    "RATE_LIMIT_BURST": "5000",
    "LOG_FORMAT": "json",
}
REPORT_DIR = ROOT / ".tools" / "reliability"

#: Every secret the suites handled: none may appear in a log line.
SECRETS: set[str] = set()
#: Every log folder of every fleet started in this run.
LOG_DIRS: list[Path] = []


def remember(*values: str) -> None:
    SECRETS.update(v for v in values if v)


def services() -> tuple[str, ...]:
    """The services under test: ``FLEET_TEST_SERVICES`` (comma list) or every one with an app."""
    chosen = os.environ.get("FLEET_TEST_SERVICES", "")
    if chosen:
        return tuple(s for s in harness.SERVICES if s in chosen.split(","))
    return harness.SERVICES


free_port = harness.free_port


# --------------------------------------------------------------------------------------- tally


class Tally:
    """Figures of one run, dumped to JSON for docs/reliability.md."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def add(self, key: str, amount: int = 1) -> None:
        self.data[key] = self.data.get(key, 0) + amount

    def put(self, key: str, value: Any) -> None:
        self.data[key] = value

    def dump(self, suite: str) -> Path:
        REPORT_DIR.mkdir(parents=True, exist_ok=True)
        path = REPORT_DIR / f"{suite}.json"
        self.data["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        path.write_text(json.dumps(self.data, indent=2, sort_keys=True, default=str) + "\n")
        return path


TALLY = Tally()


# ------------------------------------------------------------------------------------ postgres


class Throwaway:
    """A private PostgreSQL cluster: the only one the fault tests may stop."""

    def __init__(self) -> None:
        # A name nobody made yet: the harness creates it for the cluster's user (as root, ``postgres``
        # owns it, mode 0700) and refuses a folder that already exists under anyone else.
        self.folder = Path("/tmp") / f"fleet-reliability-pg-{uuid.uuid4().hex}"
        self.port = free_port()
        self.admin = harness.throwaway_postgres(self.folder, self.port)
        self.data = self.folder / "data"

    def _pg_ctl(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        pg_ctl = harness._pg_bin("pg_ctl")
        assert pg_ctl is not None
        runas = ["runuser", "-u", self.data.owner(), "--"] if os.geteuid() == 0 else []
        return subprocess.run([*runas, pg_ctl, "-D", str(self.data), *args], capture_output=True, check=False)

    def stop(self, mode: str = "fast") -> None:
        result = self._pg_ctl("-m", mode, "-w", "stop")
        assert result.returncode == 0, result.stderr.decode()

    def start(self) -> None:
        harness.throwaway_postgres(self.folder, self.port)

    def destroy(self) -> None:
        with contextlib.suppress(AssertionError):
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    def log(self) -> str:
        path = self.folder / "postgres.log"
        return path.read_text(errors="replace") if path.exists() else ""


# ------------------------------------------------------------------------------------- fleets


@contextlib.contextmanager
def local_fleet(
    base: Path,
    tag: str,
    *,
    admin: str | None = None,
    extra_env: Mapping[str, str] | None = None,
    only: Sequence[str] | None = None,
) -> Iterator[harness.LocalFleet]:
    """Start the services (all, or ``only``) with fresh databases named ``rel_<tag>_<svc>_<pid>``."""
    admin = admin or admin_dsn()
    chosen = tuple(only) if only is not None else services()
    names = {s: f"rel_{tag}_{s}_{os.getpid()}" for s in chosen}
    dsns = asyncio.run(harness.prepare_databases(admin, names, fresh=True))
    keys = base / "keys"
    harness.generate_keys(keys)
    logs = base / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    LOG_DIRS.append(logs)
    env = dict(GENEROUS_LIMITS)
    env.update(extra_env or {})
    fleet = harness.LocalFleet(
        dsns=dsns,
        ports={s: free_port() for s in ("identity", "avatars", "social")},
        keys=keys,
        log_dir=logs,
        extra_env=env,
    )
    try:
        for service in chosen:
            harness.migrate(service, fleet.env(service))
        # identity first: the others fetch its JWKS once at start and retry only every 5 s.
        if "identity" in chosen:
            fleet.start("identity")
        for service in chosen:
            if service != "identity":
                fleet.start(service, wait=False)
        for service in chosen:
            harness.wait_ready(fleet.url(service), process=fleet.processes[service])
        yield fleet
    finally:
        for service in reversed(chosen):
            fleet.stop(service)
        with contextlib.suppress(OSError, asyncio.TimeoutError):
            asyncio.run(harness.drop_databases(admin, names))


def restart(fleet: harness.LocalFleet, service: str) -> None:
    """Make sure ``service`` runs (after a test stopped it)."""
    process = fleet.processes.get(service)
    if process is None or process.poll() is not None:
        fleet.processes.pop(service, None)
        fleet.start(service)


# ------------------------------------------------------------------------------ users, tokens


def new_user(identity_url: str, *, password: str = PASSWORD) -> User:
    """A new user (through the e2e client), its secrets remembered for the log scan."""
    user = register_and_login(identity_url, password=password, prefix="rel")
    remember(user.email, password, user.access_token, user.refresh_token)
    return user


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signing_key(keys: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key((keys / "current.pem").read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


def kid_of(key: Ed25519PrivateKey) -> str:
    from identity.tokens import thumbprint

    return thumbprint(key.public_key())


def claims(user_id: str | None = None, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    body: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": user_id or str(uuid.uuid4()),
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": str(uuid.uuid4()),
        "typ": "access",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def mint(keys: Path, user_id: str | None = None, *, kid: str | None = None, **overrides: Any) -> str:
    """A token signed with the fleet's own key: valid unless ``overrides`` spoil it."""
    key = signing_key(keys)
    token = jwt.encode(claims(user_id, **overrides), key, algorithm="EdDSA", headers={"kid": kid or kid_of(key)})
    remember(token)
    return token


def raw_token(header: Mapping[str, Any], payload: Mapping[str, Any], signature: bytes) -> str:
    return ".".join((b64(json.dumps(header).encode()), b64(json.dumps(payload).encode()), b64(signature)))


# ------------------------------------------------------------------------------------ checks


def assert_problem(response: httpx.Response, status: int | None = None) -> dict[str, Any]:
    """An error in the fleet is problem+json with the status repeated in the body."""
    if status is not None:
        assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers.get("content-type", "").startswith(PROBLEM_JSON), (
        response.status_code,
        response.headers.get("content-type"),
        response.text[:300],
    )
    body = response.json()
    assert body["status"] == response.status_code
    assert isinstance(body["title"], str)
    return body


def rss_kib(pid: int) -> int:
    """Resident set size of ``pid`` and its children (Granian's main process plus workers)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def all_logs(extra: Sequence[str] = ()) -> str:
    """Every line every fleet of this run wrote (the harness logs each service to a file)."""
    parts = [p.read_text(errors="replace") for d in LOG_DIRS for p in sorted(d.glob("*.log"))]
    return "\n".join([*parts, *extra])


def leaked(text: str) -> list[str]:
    """The remembered secrets found in ``text`` (shortened for the failure message)."""
    return sorted(f"{s[:12]}...({len(s)} chars)" for s in SECRETS if s in text)
