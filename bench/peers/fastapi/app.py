"""FastAPI peer of the benchmark's three scenarios (one row read by id as JSON, completing the avatar
wizard, a feed page), with the features the fleet's kit provides,
each built the way its own project documents it.

- Auth: ``HTTPBearer`` security dependency; PyJWT verifies the EdDSA token on every request
  (FastAPI's "OAuth2 with JWT" tutorial pattern), against keys from identity's JWKS loaded with
  ``jwt.PyJWKClient`` at start. Same claims as the kit: iss, aud, exp/nbf/iat, sub, jti, typ.
- Rate limiting: slowapi (``Limiter`` + ``@limiter.limit`` + its 429 handler), in memory.
- Metrics: prometheus-fastapi-instrumentator (``Instrumentator().instrument(app).expose(app)``).
- Tracing: OpenTelemetry SDK, parent-based 10% ratio sampler, OTLP/HTTP batch exporter,
  ``FastAPIInstrumentor.instrument_app`` plus the asyncpg instrumentation (as the kit does).
- Logs: stdlib logging with python-json-logger's JSON formatter to stdout.
- Data: one asyncpg pool (same size as the kit's default) opened in the lifespan; the response is a
  pydantic model (``response_model``).

Routes: ``GET /v1/avatars/{id}`` (avatars' get_avatar, same query, body, ETag and Cache-Control)
and ``GET /v1/me`` (identity's get_me); ``DATABASE_URL`` names the database that has the table.
``POST /v1/avatar-drafts/{id}/complete`` (scenario 2: avatars' complete_wizard, the same statements
in one transaction, imported from the slice's ``queries`` module, the same drawing from
``avatars.svg``, the same 201 body, Location and ETag) and ``GET /v1/feed`` (scenario 3: social's
feed page query from the read_feed_page slice, the same body; ``BENCH_FEED_DATABASE_URL`` is social's
database). The fleet's source is put on ``sys.path`` for those modules only: the SQL and the
drawing are the work being compared, not what the framework adds.

Run (from the workspace root): ``uv run --project bench/peers/fastapi uvicorn --app-dir bench/peers/fastapi
app:app --workers 1 --no-access-log``. Settings: the same environment variables as the fleet service
(``DATABASE_URL``, ``AUTH_JWKS_URL``, ``RATE_LIMIT_RPS``, ``OTEL_EXPORTER_OTLP_ENDPOINT``,
``OTEL_TRACES_SAMPLER_ARG``, ``DB_POOL_MAX_SIZE``).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import asyncpg
import jwt
from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from prometheus_fastapi_instrumentator import Instrumentator
from pydantic import BaseModel
from pythonjsonlogger.json import JsonFormatter
from slowapi import Limiter, _rate_limit_exceeded_handler
from slowapi.errors import RateLimitExceeded
from slowapi.util import get_remote_address

_ROOT = Path(__file__).resolve().parents[3]
#: The fleet's source folders those modules need, and what they import in turn (avatars' drawing
#: uses the kit's text patterns); ``tests/standards/test_std_bench_settings.py`` keeps this whole.
_FLEET_SOURCES = ("services/avatars/src", "services/social/src", "base-image/fleetkit/src")
sys.path[:0] = [str(_ROOT / folder) for folder in _FLEET_SOURCES]
from uuid_utils.compat import uuid7  # noqa: E402

from avatars.features.avatar.complete_wizard.queries import COMPLETE_DRAFT, LOCK_LIVE_DRAFT  # noqa: E402
from avatars.svg import Drawing, draw, etag_of  # noqa: E402
from social.features.feed.read_feed_page.queries import SELECT_FEED_PAGE_AFTER, SELECT_FEED_PAGE_FIRST  # noqa: E402

SELECT_ACCOUNT = "SELECT id, email, created_at FROM accounts WHERE id = $1"
# The fleet's GET reads the same twelve columns (draft_id too, which its answer leaves out); they
# are read here by position, so draft_id comes last.
SELECT_AVATAR = """
SELECT id, owner_id, name, shape, color_background, color_foreground, color_accent,
       accessories, version, created_at, updated_at, draft_id
FROM avatars
WHERE id = $1
"""
RENDER_BASE = os.environ.get("AVATARS_PUBLIC_BASE_URL", "").rstrip("/")
ISSUER = os.environ.get("AUTH_ISSUER", "fleet-identity")
AUDIENCE = os.environ.get("AUTH_AUDIENCE", "fleet")
RATE = f"{int(float(os.environ.get('RATE_LIMIT_RPS', '200')))}/second"

handler = logging.StreamHandler(sys.stdout)
handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
log = logging.getLogger("peer")

provider = TracerProvider(
    resource=Resource.create({"service.name": "fastapi-peer"}),
    sampler=ParentBased(TraceIdRatioBased(float(os.environ.get("OTEL_TRACES_SAMPLER_ARG", "0.1")))),
)
if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
    provider.add_span_processor(
        BatchSpanProcessor(
            OTLPSpanExporter(endpoint=os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"].rstrip("/") + "/v1/traces")
        )
    )
trace.set_tracer_provider(provider)
AsyncPGInstrumentor().instrument(tracer_provider=provider)


class MeResponse(BaseModel):
    id: UUID
    email: str
    created_at: datetime


class AvatarPalette(BaseModel):
    background: str
    foreground: str
    accent: str


class AvatarResponse(BaseModel):
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


class CompletedAvatarResponse(BaseModel):
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


class FeedAvatar(BaseModel):
    id: UUID
    name: str
    render_url: str
    updated_at: datetime


class FeedItem(BaseModel):
    post_id: UUID
    author_id: UUID
    author_name: str
    text: str
    created_at: datetime
    like_count: int
    comment_count: int
    avatar_id: UUID | None
    avatar: FeedAvatar | None


class FeedPage(BaseModel):
    items: list[FeedItem]
    next_after: UUID | None
    degraded: bool


class Caller(BaseModel):
    user_id: UUID
    token_id: str


state: dict[str, Any] = {}


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    state["pool"] = await asyncpg.create_pool(
        os.environ["DATABASE_URL"],
        min_size=2,
        max_size=int(os.environ.get("DB_POOL_MAX_SIZE", "10")),
        command_timeout=5,
        server_settings={"jit": "off"},
    )
    if os.environ.get("BENCH_FEED_DATABASE_URL"):
        state["feed_pool"] = await asyncpg.create_pool(
            os.environ["BENCH_FEED_DATABASE_URL"],
            min_size=2,
            max_size=int(os.environ.get("DB_POOL_MAX_SIZE", "10")),
            command_timeout=5,
            server_settings={"jit": "off"},
        )
    jwks = jwt.PyJWKClient(os.environ["AUTH_JWKS_URL"])
    state["keys"] = {k.key_id: k.key for k in jwks.get_signing_keys()}
    log.info("service_started")
    yield
    await state["pool"].close()
    if "feed_pool" in state:
        await state["feed_pool"].close()


limiter = Limiter(key_func=get_remote_address)
app = FastAPI(title="fastapi-peer", lifespan=lifespan)
app.state.limiter = limiter
app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)  # type: ignore[arg-type]
Instrumentator().instrument(app).expose(app)
FastAPIInstrumentor.instrument_app(app, tracer_provider=provider)
bearer = HTTPBearer()


def current_caller(credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)]) -> Caller:
    unauthorized = HTTPException(status_code=401, detail="Unauthorized", headers={"WWW-Authenticate": "Bearer"})
    token = credentials.credentials
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = state["keys"].get(kid)
        if key is None:
            raise unauthorized
        claims = jwt.decode(
            token,
            key,
            algorithms=["EdDSA"],
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=5,
            options={"require": ["exp", "iat", "nbf", "sub", "iss", "aud", "jti"]},
        )
    except jwt.InvalidTokenError:
        raise unauthorized from None
    if claims.get("typ") != "access":
        raise unauthorized
    return Caller(user_id=UUID(claims["sub"]), token_id=claims["jti"])


@app.get("/v1/me", response_model=MeResponse)
@limiter.limit(RATE)
async def me(request: Request, caller: Annotated[Caller, Depends(current_caller)]) -> MeResponse:
    row = await state["pool"].fetchrow(SELECT_ACCOUNT, caller.user_id)
    if row is None:
        raise HTTPException(status_code=404, detail="Not Found")
    return MeResponse(id=row["id"], email=row["email"], created_at=row["created_at"])


@app.get("/v1/avatars/{avatar_id}", response_model=AvatarResponse)
@limiter.limit(RATE)
async def read_avatar(
    request: Request, response: Response, avatar_id: UUID, caller: Annotated[Caller, Depends(current_caller)]
) -> AvatarResponse:
    row = await state["pool"].fetchrow(SELECT_AVATAR, avatar_id)
    if row is None:
        raise HTTPException(status_code=404, detail="Not Found")
    response.headers["ETag"] = f'"{row["version"]}"'
    response.headers["Cache-Control"] = "private, no-cache"
    return AvatarResponse(
        id=row["id"],
        owner_id=row["owner_id"],
        name=row["name"],
        shape=row["shape"],
        palette=AvatarPalette(
            background=row["color_background"], foreground=row["color_foreground"], accent=row["color_accent"]
        ),
        accessories=row["accessories"],
        version=row["version"],
        render_url=f"{RENDER_BASE}/v1/avatars/{row['id']}/image.svg",
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


@app.post("/v1/avatar-drafts/{draft_id}/complete", status_code=201, response_model=CompletedAvatarResponse)
@limiter.limit(RATE)
async def complete_wizard(
    request: Request, response: Response, draft_id: UUID, caller: Annotated[Caller, Depends(current_caller)]
) -> CompletedAvatarResponse:
    now = datetime.now(UTC)
    async with state["pool"].acquire() as conn, conn.transaction():
        draft = await conn.fetchrow(LOCK_LIVE_DRAFT, draft_id, caller.user_id, now)
        if draft is None:
            raise HTTPException(status_code=404, detail="Not Found")
        svg = draw(
            Drawing(
                shape=draft["shape"],
                background=draft["color_background"],
                foreground=draft["color_foreground"],
                accent=draft["color_accent"],
                accessories=draft["accessories"],
                name=draft["name"],
            )
        )
        row = await conn.fetchrow(COMPLETE_DRAFT, uuid7(), draft_id, now, svg, etag_of(svg))
    if row is None:
        raise HTTPException(status_code=404, detail="Not Found")
    response.headers["Location"] = f"/v1/avatars/{row['id']}"
    response.headers["ETag"] = f'"{row["version"]}"'
    return CompletedAvatarResponse(
        id=row["id"],
        owner_id=row["owner_id"],
        draft_id=row["draft_id"],
        name=row["name"],
        shape=row["shape"],
        palette=AvatarPalette(
            background=row["color_background"], foreground=row["color_foreground"], accent=row["color_accent"]
        ),
        accessories=row["accessories"],
        version=row["version"],
        render_url=f"{RENDER_BASE}/v1/avatars/{row['id']}/image.svg",
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


@app.get("/v1/feed", response_model=FeedPage)
@limiter.limit(RATE)
async def feed(
    request: Request,
    caller: Annotated[Caller, Depends(current_caller)],
    after: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> FeedPage:
    if after is None:
        rows = await state["feed_pool"].fetch(SELECT_FEED_PAGE_FIRST, limit + 1)
    else:
        rows = await state["feed_pool"].fetch(SELECT_FEED_PAGE_AFTER, limit + 1, after)
    items = [
        FeedItem(
            post_id=r["post_id"],
            author_id=r["author_id"],
            author_name=r["author_name"],
            text=r["text"],
            created_at=r["created_at"],
            like_count=r["like_count"],
            comment_count=r["comment_count"],
            avatar_id=r["avatar_id"],
            avatar=FeedAvatar(
                id=r["avatar_id"],
                name=r["avatar_name"],
                render_url=r["avatar_render_url"],
                updated_at=r["avatar_updated_at"] or r["created_at"],
            )
            if r["avatar_id"] and r["avatar_name"] and r["avatar_render_url"]
            else None,
        )
        for r in rows[:limit]
    ]
    return FeedPage(items=items, next_after=items[-1].post_id if len(rows) > limit else None, degraded=False)


@app.get("/readyz")
async def readyz() -> dict[str, str]:
    return {"status": "ready"}
