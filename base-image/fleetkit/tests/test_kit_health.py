"""Health: /livez always answers, /readyz follows the database, the schema and draining."""

from __future__ import annotations

import httpx
from kit_support import serving


async def test_livez_answers_200_even_when_the_database_is_unreachable(make_app, unreachable_database_url):
    async with serving(make_app(unreachable_database_url)) as client:
        response = await client.get("/livez")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_200_when_the_schema_is_at_the_expected_migration(make_app, database_url):
    async with serving(make_app(database_url)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_503_when_the_database_has_no_migrations(make_app, empty_database_url):
    async with serving(make_app(empty_database_url)) as client:
        response = await client.get("/readyz")
        live = await client.get("/livez")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"]
    # Told apart from an outage: the missing schema_migrations table is read as "not migrated".
    assert response.json()["detail"] == "Database has no migrations applied yet."
    assert live.status_code == 200


async def test_readyz_is_503_when_the_schema_is_behind_the_code(make_app, database_url, tmp_path):
    newer = tmp_path / "migrations"
    newer.mkdir()
    (newer / "0001_widgets.sql").write_text("SELECT 1;", encoding="utf-8")
    (newer / "0002_gadgets.sql").write_text("SELECT 1;", encoding="utf-8")
    async with serving(make_app(database_url, migrations=newer)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["detail"].startswith("Database schema is behind this code")


async def test_readyz_is_503_when_the_database_is_unreachable(make_app, unreachable_database_url):
    async with serving(make_app(unreachable_database_url)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "Database unreachable or failing."


async def test_readyz_turns_503_at_once_when_draining_while_livez_stays_200(make_app, database_url):
    app = make_app(database_url)
    async with serving(app) as client:
        assert (await client.get("/readyz")).status_code == 200
        app.state.runtime.health.draining = True
        draining = await client.get("/readyz")
        live = await client.get("/livez")
    assert draining.status_code == 503
    assert draining.json()["detail"] == "Shutting down."
    assert live.status_code == 200


async def test_startupz_is_200_once_the_lifespan_has_started(make_app, database_url):
    async with serving(make_app(database_url)) as client:
        response = await client.get("/startupz")
    assert response.status_code == 200


async def test_startupz_and_readyz_are_503_before_the_lifespan_has_run(make_app, database_url):
    app = make_app(database_url)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kit") as client:
        startup = await client.get("/startupz")
        ready = await client.get("/readyz")
        live = await client.get("/livez")
    assert startup.status_code == 503
    assert startup.headers["retry-after"]
    assert ready.status_code == 503
    assert live.status_code == 200


async def test_health_routes_are_never_rate_limited(make_app, database_url):
    app = make_app(database_url, rate_limit_rps=0.001, rate_limit_burst=1)
    async with serving(app) as client:
        statuses = {(await client.get(path)).status_code for path in ("/livez",) * 5}
        ready = {(await client.get("/readyz")).status_code for _ in range(5)}
    assert statuses == {200}
    assert ready == {200}
