"""The ceiling: a bare Granian RSGI app, the same query and the same msgspec encoding as the
fleet endpoint, with no framework and no middleware (no auth, no limits, no metrics, no traces).

    granian --interface rsgi --workers 1 bench/peers/ceiling/app.py:app   (cwd: the workspace root)
    granian --interface asgi --workers 1 bench/peers/ceiling/app.py:asgi_app   (the same over ASGI)

Two routes, one per scenario-1 target (``DATABASE_URL`` names the database that has the table):
``GET /v1/avatars/{id}`` (avatars' ``get_avatar`` slice: same query, same body, same ETag and
Cache-Control headers) and ``GET /v1/me`` (identity's ``get_me``; the fleet takes the id from the
caller's token, the ceiling, having no auth, reads it from ``BENCH_ACCOUNT_ID``). The pool has
the kit's default size (``DB_POOL_MAX_SIZE``, 10) so only the framework and middleware differ.
``BENCH_POOL_RESET=0`` releases connections without asyncpg's reset query (one round trip per
request fewer), to mirror a kit whose pool is configured that way.
"""

from __future__ import annotations

import asyncio
import os
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

SELECT_ACCOUNT = "SELECT id, email, created_at FROM accounts WHERE id = $1"
SELECT_AVATAR = """
SELECT id, owner_id, name, shape, color_background, color_foreground, color_accent,
       accessories, version, created_at, updated_at
FROM avatars
WHERE id = $1
"""
AVATARS_PREFIX = "/v1/avatars/"
JSON_HEADERS = [("content-type", "application/json")]
NOT_FOUND = b'{"title":"Not Found","status":404}'


class AvatarPalette(msgspec.Struct):
    background: str
    foreground: str
    accent: str


class AvatarResponse(msgspec.Struct):
    id: UUID
    owner_id: UUID
    name: str
    shape: str
    palette: AvatarPalette
    accessories: list[str]
    version: int
    render_url: str
    created_at: datetime
    updated_at: datetime


class MeResponse(msgspec.Struct):
    id: UUID
    email: str
    created_at: datetime


async def _keep_session(_: asyncpg.Connection) -> None:
    return


class Ceiling:
    def __init__(self) -> None:
        self.pool: asyncpg.Pool | None = None
        self.account_id = UUID(os.environ.get("BENCH_ACCOUNT_ID", "00000000-0000-0000-0000-000000000000"))
        self.render_base = os.environ.get("AVATARS_PUBLIC_BASE_URL", "").rstrip("/")
        self.encoder = msgspec.json.Encoder()

    async def open_pool(self) -> asyncpg.Pool:
        return await asyncpg.create_pool(
            os.environ["DATABASE_URL"],
            min_size=2,
            max_size=int(os.environ.get("DB_POOL_MAX_SIZE", "10")),
            server_settings={"jit": "off"},
            reset=None if os.environ.get("BENCH_POOL_RESET", "1") == "1" else _keep_session,
        )

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.pool = loop.run_until_complete(self.open_pool())

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        if self.pool is not None:
            loop.run_until_complete(self.pool.close())

    async def __rsgi__(self, scope: Any, proto: Any) -> None:
        status, headers, body = await self.answer(scope.path)
        proto.response_bytes(status, headers, body)

    async def answer(self, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
        if path.startswith(AVATARS_PREFIX):
            try:
                avatar_id = UUID(path[len(AVATARS_PREFIX) :])
            except ValueError:
                return 404, JSON_HEADERS, NOT_FOUND
            row = await self.pool.fetchrow(SELECT_AVATAR, avatar_id)  # type: ignore[union-attr]
            if row is None:
                return 404, JSON_HEADERS, NOT_FOUND
            body = AvatarResponse(
                row[0], row[1], row[2], row[3], AvatarPalette(row[4], row[5], row[6]), row[7], row[8],
                f"{self.render_base}/v1/avatars/{row[0]}.svg", row[9], row[10],
            )  # fmt: skip
            headers = [
                ("content-type", "application/json"),
                ("etag", f'"{row[8]}"'),
                ("cache-control", "private, no-cache"),
            ]
            return 200, headers, self.encoder.encode(body)
        if path == "/v1/me":
            row = await self.pool.fetchrow(SELECT_ACCOUNT, self.account_id)  # type: ignore[union-attr]
            if row is not None:
                return 200, JSON_HEADERS, self.encoder.encode(MeResponse(*row))
            return 404, JSON_HEADERS, NOT_FOUND
        if path == "/readyz":
            return 200, JSON_HEADERS, b'{"status":"ready"}'
        return 404, JSON_HEADERS, NOT_FOUND


class AsgiCeiling:
    """The same app over Granian's ASGI interface (``app:asgi_app``), which the fleet has to use
    (Litestar speaks ASGI only): the difference to ``app`` is what the interface itself costs."""

    def __init__(self, inner: Ceiling) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        status, headers, body = await self.inner.answer(scope["path"])
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in headers],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.inner.pool = await self.inner.open_pool()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.inner.pool is not None:
                    await self.inner.pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


app = Ceiling()
asgi_app = AsgiCeiling(Ceiling())
