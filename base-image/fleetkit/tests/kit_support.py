"""Helpers shared by the kit tests: signing keys, the throwaway slice, the app under test.

A module with a unique name (not ``conftest``), so test modules import it unambiguously when
several test folders are collected in one run.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt
import structlog
import structlog.testing
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar import Litestar, delete, get, post
from litestar.params import JSONBody
from litestar.testing import AsyncTestClient

from fleetkit.app import Slice
from fleetkit.di import CurrentCaller, DbPool
from fleetkit.ids import new_id
from fleetkit.policy import CREDENTIALS, PUBLIC
from fleetkit.settings import KitSettings

MIGRATIONS = Path(__file__).parent / "migrations"
ISSUER = "fleet-identity"
AUDIENCE = "fleet"


class SigningKey:
    """An Ed25519 key and its kid, minting access tokens shaped like identity's."""

    def __init__(self, kid: str | None = None) -> None:
        self.private = Ed25519PrivateKey.generate()
        self.public = self.private.public_key()
        self.kid = kid or f"kid-{secrets.token_hex(8)}"

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": str(new_id()),
            "iat": now,
            "nbf": now,
            "exp": now + 600,
            "jti": str(new_id()),
            "typ": "access",
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def mint(self, *, headers: Mapping[str, Any] | None = None, **overrides: Any) -> str:
        return jwt.encode(
            self.claims(**overrides),
            self.private,
            algorithm="EdDSA",
            headers={"kid": self.kid, **(headers or {})},
        )


# A throwaway slice: one public route, one authenticated route with a path parameter, one
# strict (credential-like) route, one that reads the database, and a few that fail on purpose.


@get("/v1/open", opt=PUBLIC.opt(), sync_to_thread=False)
def open_route() -> dict[str, str]:
    return {"ok": "yes"}


@get("/v1/items/{item_id:int}", sync_to_thread=False)
def item_route(item_id: int, caller: CurrentCaller) -> dict[str, str]:
    return {"item": str(item_id), "user": str(caller.user_id)}


@post("/v1/credentials", opt=CREDENTIALS.opt(), sync_to_thread=False)
def strict_route() -> dict[str, str]:
    return {"ok": "yes"}


@get("/v1/widgets/count", opt=PUBLIC.opt())
async def widgets_count(pool: DbPool) -> dict[str, int]:
    return {"count": await pool.fetchval("SELECT count(*) FROM widgets")}


@get("/v1/slow-query", opt=PUBLIC.opt())
async def slow_query(pool: DbPool) -> dict[str, int]:
    await pool.execute("SELECT pg_sleep(5)")
    return {"slept": 5}


@get("/v1/boom", opt=PUBLIC.opt(), sync_to_thread=False)
def boom() -> dict[str, str]:
    msg = "internal detail: password=hunter2 at /srv/app/secret.py line 42"
    raise RuntimeError(msg)


@post("/v1/echo", opt=PUBLIC.opt(), sync_to_thread=False)
def echo(data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
    return {"size": len(str(data))}


@delete("/v1/items/{item_id:int}", status_code=204, sync_to_thread=False)
def delete_item(item_id: int, caller: CurrentCaller) -> None:
    return None


TEST_SLICE = Slice(open_route, item_route, strict_route, widgets_count, slow_query, boom, echo)
#: A second slice on a path of the first (as avatars' GET and PATCH/DELETE of one avatar are).
OTHER_SLICE = Slice(delete_item)


def kit_settings(database_url: str, **overrides: Any) -> KitSettings:
    values: dict[str, Any] = {
        "service_name": "kit-test",
        "database_url": database_url,
        "log_level": "warning",
    }
    values.update(overrides)
    return KitSettings(**values)


@asynccontextmanager
async def serving(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """Run the app's lifespan and give a client for it."""
    async with AsyncTestClient(app=app) as client:
        yield client


@asynccontextmanager
async def serving_concurrently(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """The app on this loop, lifespan included, with a client whose requests really overlap.

    Litestar's test client runs the app on a thread of its own and blocks on each request, so
    requests sent together are served one after the other; httpx's ASGI transport awaits the
    app on the caller's loop, as a server would.
    """
    started, stopping = asyncio.Event(), asyncio.Event()
    messages = iter(({"type": "lifespan.startup"},))

    async def receive() -> dict[str, str]:
        message = next(messages, None)
        if message is not None:
            return message
        await stopping.wait()
        return {"type": "lifespan.shutdown"}

    async def send(message: dict[str, str]) -> None:
        if message["type"].startswith("lifespan.startup"):
            started.set()

    lifespan = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send))
    await asyncio.wait_for(started.wait(), 30)
    try:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.2", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://fleet.test", timeout=30) as client:
            yield client
    finally:
        stopping.set()
        await asyncio.wait_for(lifespan, 30)


def record_logs(monkeypatch: Any, module: Any) -> structlog.testing.LogCapture:
    """Replace ``module.log`` with a logger that records its events (every level) instead of printing."""
    capture = structlog.testing.LogCapture()
    logger = structlog.wrap_logger(
        structlog.PrintLogger(), processors=[capture], wrapper_class=structlog.make_filtering_bound_logger(0)
    )
    monkeypatch.setattr(module, "log", logger)
    return capture
