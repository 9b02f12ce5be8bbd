"""FastAPI peer of benchmark scenario 1: one row read by id as JSON, with the features the fleet's kit provides,
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
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import asyncpg
import jwt
from fastapi import Depends, FastAPI, HTTPException, Request, Response
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

SELECT_ACCOUNT = "SELECT id, email, created_at FROM accounts WHERE id = $1"
SELECT_AVATAR = """
SELECT id, owner_id, name, shape, color_background, color_foreground, color_accent,
       accessories, version, created_at, updated_at
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
    jwks = jwt.PyJWKClient(os.environ["AUTH_JWKS_URL"])
    state["keys"] = {k.key_id: k.key for k in jwks.get_signing_keys()}
    log.info("service_started")
    yield
    await state["pool"].close()


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
        render_url=f"{RENDER_BASE}/v1/avatars/{row['id']}.svg",
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


@app.get("/readyz")
async def readyz() -> dict[str, str]:
    return {"status": "ready"}
