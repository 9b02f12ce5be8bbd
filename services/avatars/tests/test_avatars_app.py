from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import timedelta

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from avatars.app import EXPIRY_SWEEP, create_app
from avatars.features.avatar.start_wizard.command import StartWizard
from avatars.features.avatar.start_wizard.handler import start_wizard
from fleetkit.idempotency import fingerprint, idempotent
from fleetkit.ids import new_id, utcnow
from fleetkit.problems import problem
from fleetkit.testing import admin_dsn, drop_database, with_database
from identity.tokens import KeyRing

DOCUMENTED_ERRORS = {
    ("post", "/v1/avatar-drafts"): {"409", "422"},
    ("put", "/v1/avatar-drafts/{draft_id}/shape"): {"404"},
    ("get", "/v1/avatar-drafts/{draft_id}/preview.svg"): {"304", "404"},
    ("post", "/v1/avatar-drafts/{draft_id}/complete"): {"404", "409", "422"},
    ("get", "/v1/avatars/{avatar_id}"): {"304", "404"},
    ("patch", "/v1/avatars/{avatar_id}"): {"404", "412", "428"},
    ("delete", "/v1/avatars/{avatar_id}"): {"404", "412"},
    ("get", "/v1/avatars/{avatar_id}/image.svg"): {"304", "404"},
    ("get", "/v1/me/avatars"): set(),
    ("post", "/v1/avatars/batch-get"): set(),
}


async def test_openapi_documents_every_endpoint_its_errors_and_examples(client):
    document = (await client.get("/docs/openapi.json")).json()
    paths = document["paths"]
    for (method, path), errors in DOCUMENTED_ERRORS.items():
        operation = paths[path][method]
        responses = set(operation["responses"])
        assert errors <= responses, (method, path, responses)
        for status in errors - {"304"}:
            assert "application/problem+json" in operation["responses"][status]["content"]
        assert operation["summary"]
    text = str(document)
    for example in ("#3366CC", "Captain Pixel", "glasses"):
        assert example in text
    headers = {p["name"] for p in paths["/v1/avatar-drafts"]["post"]["parameters"]}
    assert "Idempotency-Key" in headers


async def test_only_the_render_is_public(client):
    paths = (await client.get("/docs/openapi.json")).json()["paths"]
    v1 = {path: ops for path, ops in paths.items() if path.startswith("/v1/")}
    anonymous = {(method, path) for path, ops in v1.items() for method, op in ops.items() if "security" not in op}
    assert anonymous == {("get", "/v1/avatars/{avatar_id}/image.svg")}
    assert (await client.get(f"/v1/avatars/{new_id()}/image.svg")).status_code == 404


async def test_a_token_from_an_unknown_key_is_refused(client, assert_problem):

    stranger = KeyRing([Ed25519PrivateKey.generate()], issuer="fleet-identity", audience="fleet", ttl_s=60)
    token = stranger.sign_access_token(new_id(), time.time()).token
    response = await client.get("/v1/me/avatars", headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 401)


async def test_the_svg_alias_leaves_other_paths_alone(client, as_user, alice, assert_problem):
    assert_problem(await client.get("/v1/avatars/a/b.svg", headers=as_user(alice)), 404)
    assert (await client.get("/livez")).status_code == 200


def test_settings_name_a_missing_variable(monkeypatch, database_url):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("AUTH_JWKS_URL", "http://127.0.0.1:8001/.well-known/jwks.json")
    monkeypatch.delenv("AVATARS_PUBLIC_BASE_URL", raising=False)
    with pytest.raises(SystemExit, match="AVATARS_PUBLIC_BASE_URL"):
        create_app()


async def test_python_m_avatars_migrate_is_idempotent(template):
    name = f"t_{new_id().hex}"
    admin = await asyncpg.connect(admin_dsn())
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    dsn = with_database(admin_dsn(), name)
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "AUTH_JWKS_URL": "http://127.0.0.1:8001/.well-known/jwks.json",
        "AVATARS_PUBLIC_BASE_URL": "http://127.0.0.1:8002",
    }
    try:
        for _ in range(2):
            done = await asyncio.to_thread(
                subprocess.run, [sys.executable, "-m", "avatars", "migrate"], env=env,
                capture_output=True, timeout=60, check=False,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
        conn = await asyncpg.connect(dsn)
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == 1
        await conn.close()
    finally:
        await drop_database(dsn)


async def test_one_sweep_purges_expired_drafts_and_idempotency_records(pool, alice):
    live = await start_wizard(StartWizard(owner_id=alice), pool=pool, ttl_s=600)
    dead = await start_wizard(StartWizard(owner_id=alice), pool=pool, ttl_s=600)
    await pool.execute(
        "UPDATE avatar_drafts SET expires_at = $2 WHERE id = $1", dead.id, utcnow() - timedelta(seconds=1)
    )
    await pool.execute(
        "INSERT INTO idempotency_keys VALUES ($1, 'old', '\\x00', NULL, $2, $2, $2)",
        alice, utcnow() - timedelta(days=2),
    )  # fmt: skip
    assert await EXPIRY_SWEEP.once(pool, utcnow()) == 2
    assert await pool.fetchval("SELECT array_agg(id) FROM avatar_drafts") == [live.id]
    assert await pool.fetchval("SELECT count(*) FROM idempotency_keys") == 0


async def test_a_retry_while_the_first_request_runs_is_409(pool, alice):
    started, release = asyncio.Event(), asyncio.Event()

    async def slow():
        started.set()
        await release.wait()
        return problem(200, "done")

    async def call(produce):
        return await idempotent(
            pool, owner_id=alice, key="k", request=fingerprint("POST", "/x"), ttl_s=60, produce=produce
        )

    first = asyncio.create_task(call(slow))
    await started.wait()
    second = await call(slow)
    release.set()
    assert (await first).status_code == 200
    assert second.status_code == 409
    assert second.headers["Retry-After"] == "1"


async def test_openapi_states_the_patch_contract_and_who_can_read_an_avatar(client):
    document = (await client.get("/docs/openapi.json")).json()
    patch = document["paths"]["/v1/avatars/{avatar_id}"]["patch"]
    if_match = next(p for p in patch["parameters"] if p["name"] == "If-Match")
    assert if_match["required"] is True  # without it: 428, documented
    assert "428" in patch["responses"]
    body = document["components"]["schemas"]["UpdateAvatarRequest"]
    assert body["minProperties"] == 1  # {} is a 422
    assert body["additionalProperties"] is False
    read = document["paths"]["/v1/avatars/{avatar_id}"]["get"]
    assert "Any authenticated caller can read any avatar" in read["description"]
    assert read["security"] == [{"bearerAuth": []}]
    render = document["paths"]["/v1/avatars/{avatar_id}/image.svg"]["get"]
    assert "security" not in render  # public: an <img> sends no token
