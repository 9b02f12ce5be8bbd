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
request fewer), as the kit's own pool does: that is ``ceiling-b``, the headline ceiling.

Scenario 2, ``POST /v1/avatar-drafts/{id}/complete`` (``DATABASE_URL``: avatars' database): the
same statements as avatars' ``complete_wizard`` slice, imported from its ``queries`` module (BEGIN,
the draft's lock, the one statement that makes the avatar, COMMIT), the same drawing
(``avatars.svg``) and the same 201 body and headers; the owner is ``BENCH_ACCOUNT_ID``.
Scenario 3, ``GET /v1/feed`` (``BENCH_FEED_DATABASE_URL``: social's database): social's feed page
query, imported from the ``read_feed_page`` slice, and the same body (snapshots are fresh in the run, so
neither side calls avatars).
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
from uuid_utils.compat import uuid7  # the fleet's UUID v7, at the same cost

from avatars.features.avatar.complete_wizard.queries import COMPLETE_DRAFT, LOCK_LIVE_DRAFT
from avatars.svg import Drawing, draw, etag_of
from social.features.feed.read_feed_page.queries import SELECT_FEED_PAGE_FIRST

SELECT_ACCOUNT = "SELECT id, email, created_at FROM accounts WHERE id = $1"
# The fleet's GET reads the same twelve columns (draft_id too, which its answer leaves out); they
# are read here by position, so draft_id comes last.
SELECT_AVATAR = """
SELECT id, owner_id, name, shape, color_background, color_foreground, color_accent,
       accessories, version, created_at, updated_at, draft_id
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


class CompletedAvatarResponse(msgspec.Struct):
    id: UUID
    owner_id: UUID
    draft_id: UUID
    name: str
    shape: str
    palette: AvatarPalette
    accessories: list[str]
    version: int
    render_url: str
    created_at: datetime
    updated_at: datetime


class FeedAvatar(msgspec.Struct):
    id: UUID
    name: str
    render_url: str
    updated_at: datetime


class FeedItem(msgspec.Struct):
    post_id: UUID
    author_id: UUID
    author_name: str
    text: str
    created_at: datetime
    like_count: int
    comment_count: int
    avatar_id: UUID | None
    avatar: FeedAvatar | None


class FeedPage(msgspec.Struct):
    items: list[FeedItem]
    next_after: UUID | None
    degraded: bool


FEED_LIMIT = 20
DRAFTS_PREFIX = "/v1/avatar-drafts/"
COMPLETE_SUFFIX = "/complete"


class MeResponse(msgspec.Struct):
    id: UUID
    email: str
    created_at: datetime


async def _keep_session(_: asyncpg.Connection) -> None:
    return


class Ceiling:
    def __init__(self) -> None:
        self.pool: asyncpg.Pool | None = None
        self.feed_pool: asyncpg.Pool | None = None
        self.account_id = UUID(os.environ.get("BENCH_ACCOUNT_ID", "00000000-0000-0000-0000-000000000000"))
        self.render_base = os.environ.get("AVATARS_PUBLIC_BASE_URL", "").rstrip("/")
        self.encoder = msgspec.json.Encoder()

    async def open_pools(self) -> None:
        self.pool = await self.open_pool(os.environ["DATABASE_URL"])
        if os.environ.get("BENCH_FEED_DATABASE_URL"):
            self.feed_pool = await self.open_pool(os.environ["BENCH_FEED_DATABASE_URL"])

    async def close_pools(self) -> None:
        for pool in (self.pool, self.feed_pool):
            if pool is not None:
                await pool.close()

    async def open_pool(self, dsn: str) -> asyncpg.Pool:
        return await asyncpg.create_pool(
            dsn,
            min_size=2,
            max_size=int(os.environ.get("DB_POOL_MAX_SIZE", "10")),
            server_settings={"jit": "off"},
            reset=None if os.environ.get("BENCH_POOL_RESET", "1") == "1" else _keep_session,
        )

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.run_until_complete(self.open_pools())

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.run_until_complete(self.close_pools())

    async def __rsgi__(self, scope: Any, proto: Any) -> None:
        status, headers, body = await self.answer(scope.path, scope.method)
        proto.response_bytes(status, headers, body)

    async def answer(self, path: str, method: str = "GET") -> tuple[int, list[tuple[str, str]], bytes]:
        if method == "POST" and path.startswith(DRAFTS_PREFIX) and path.endswith(COMPLETE_SUFFIX):
            return await self.complete(path[len(DRAFTS_PREFIX) : -len(COMPLETE_SUFFIX)])
        if path == "/v1/feed":
            return await self.feed()
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
                f"{self.render_base}/v1/avatars/{row[0]}/image.svg", row[9], row[10],
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

    async def complete(self, draft_text: str) -> tuple[int, list[tuple[str, str]], bytes]:
        """Scenario 2: the fleet's statements for a first completion (a replay is not measured)."""
        try:
            draft_id = UUID(draft_text)
        except ValueError:
            return 404, JSON_HEADERS, NOT_FOUND
        now = datetime.now(UTC)
        async with self.pool.acquire() as conn, conn.transaction():  # type: ignore[union-attr]
            draft = await conn.fetchrow(LOCK_LIVE_DRAFT, draft_id, self.account_id, now)
            if draft is None:
                return 404, JSON_HEADERS, NOT_FOUND
            shape, background, foreground, accent, accessories, name = draft
            svg = draw(
                Drawing(shape=shape, background=background, foreground=foreground, accent=accent,
                        accessories=accessories, name=name)
            )  # fmt: skip
            row = await conn.fetchrow(COMPLETE_DRAFT, uuid7(), draft_id, now, svg, etag_of(svg))
        if row is None:
            return 404, JSON_HEADERS, NOT_FOUND
        body = CompletedAvatarResponse(
            row[0], row[1], row[2], row[3], row[4], AvatarPalette(row[5], row[6], row[7]), row[8], row[9],
            f"{self.render_base}/v1/avatars/{row[0]}/image.svg", row[10], row[11],
        )  # fmt: skip
        headers = [
            ("content-type", "application/json"),
            ("location", f"/v1/avatars/{row[0]}"),
            ("etag", f'"{row[9]}"'),
        ]
        return 201, headers, self.encoder.encode(body)

    async def feed(self) -> tuple[int, list[tuple[str, str]], bytes]:
        """Scenario 3: the first page, every snapshot fresh (the case the run measures)."""
        rows = await self.feed_pool.fetch(SELECT_FEED_PAGE_FIRST, FEED_LIMIT + 1)  # type: ignore[union-attr]
        items = []
        for r in rows[:FEED_LIMIT]:
            avatar = None
            if r[7] is not None and r[8] and r[9]:
                avatar = FeedAvatar(r[7], r[8], r[9], r[10] or r[4])
            items.append(FeedItem(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], avatar))
        next_after = items[-1].post_id if len(rows) > FEED_LIMIT else None
        return 200, JSON_HEADERS, self.encoder.encode(FeedPage(items, next_after, degraded=False))


class AsgiCeiling:
    """The same app over Granian's ASGI interface (``app:asgi_app``), which the fleet has to use
    (Litestar speaks ASGI only): the difference to ``app`` is what the interface itself costs."""

    def __init__(self, inner: Ceiling) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        status, headers, body = await self.inner.answer(scope["path"], scope["method"])
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
                await self.inner.open_pools()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.inner.close_pools()
                await send({"type": "lifespan.shutdown.complete"})
                return


app = Ceiling()
asgi_app = AsgiCeiling(Ceiling())
