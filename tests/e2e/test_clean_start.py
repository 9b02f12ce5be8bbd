"""A clean start, in `make dev`'s order, logs no warning and no error.

`make dev` starts the three services at once, so avatars and social ask identity for its signing
keys (JWKS) before identity answers. That is the ordinary start-up order, not a fault: it must read
as one info line per service (``jwks_waiting_for_identity``), never as a warning or an error that a
newcomer would take for a failure. A probe's 503 while a service starts is not a failure either.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import fleet as harness
import httpx
import pytest

from fleetkit.testing import admin_dsn

pytestmark = pytest.mark.fleet

#: Log levels that say something went wrong (structlog JSON and Granian's own "[LEVEL]" lines).
_BAD_LEVELS = frozenset({"warning", "error", "critical", "exception"})


@pytest.fixture(scope="module")
def fresh_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.LocalFleet]:
    tag = f"{os.getpid()}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    names = {service: f"clean_{service}_{tag}" for service in harness.SERVICES}
    dsns = asyncio.run(harness.prepare_databases(admin_dsn(), names, fresh=True))
    keys = tmp_path_factory.mktemp("keys")
    harness.generate_keys(keys)
    local = harness.LocalFleet(
        dsns=dsns,
        ports={service: harness.free_port() for service in harness.SERVICES},
        keys=keys,
        log_dir=tmp_path_factory.mktemp("logs"),
        extra_env={"LOG_FORMAT": "json"},
    )
    local.migrate_all()
    try:
        for service in harness.SERVICES:  # all at once, as `make dev` does: nobody waits for identity
            local.start(service, wait=False)
        for service in harness.SERVICES:
            harness.wait_ready(local.url(service), process=local.processes[service])
        yield local
    finally:
        local.stop_all()
        asyncio.run(harness.drop_databases(admin_dsn(), names))


def _bad_lines(log: Path) -> list[str]:
    bad = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if str(entry.get("level", "")).lower() in _BAD_LEVELS:
                bad.append(line)
        elif line.startswith("[") and line[1 : line.find("]")].lower() in _BAD_LEVELS:
            bad.append(line)
    return bad


def test_a_clean_start_in_make_devs_order_logs_no_warning_or_error(fresh_fleet: harness.LocalFleet) -> None:
    identity, avatars, social = (fresh_fleet.url(s) for s in ("identity", "avatars", "social"))
    email = f"clean-{uuid.uuid4().hex[:12]}@example.com"
    password = "correct horse battery staple"
    with httpx.Client(timeout=10) as http:
        assert http.post(f"{identity}/v1/accounts", json={"email": email, "password": password}).status_code == 201
        login = http.post(f"{identity}/v1/sessions", json={"email": email, "password": password})
        assert login.status_code == 200, login.text
        bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
        # Both verifiers hold identity's keys now (a token checks), whatever order they started in.
        assert http.get(f"{avatars}/v1/me/avatars", headers=bearer).status_code == 200
        assert http.get(f"{social}/v1/feed", headers=bearer).status_code == 200

    logs = sorted(fresh_fleet.log_dir.glob("*.log"))
    assert {p.stem for p in logs} == set(harness.SERVICES)
    bad = {p.stem: _bad_lines(p) for p in logs}
    assert bad == {service: [] for service in harness.SERVICES}, json.dumps(bad, indent=1)
    for service in ("avatars", "social"):
        text = (fresh_fleet.log_dir / f"{service}.log").read_text()
        waits = text.count('"jwks_waiting_for_identity"')
        assert waits <= 1, f"{service}: the wait for identity is said once, not {waits} times"


def test_the_log_check_sees_a_warning_and_an_error(tmp_path: Path) -> None:
    log = tmp_path / "svc.log"
    log.write_text(
        "\n".join(
            [
                '{"event":"jwks_waiting_for_identity","level":"info"}',
                '{"event":"jwks_refresh_failed","level":"warning"}',
                "[INFO] Starting granian",
                "[ERROR] worker crashed",
                '{"event":"request_failed","level":"error"}',
            ]
        )
    )
    assert len(_bad_lines(log)) == 3
