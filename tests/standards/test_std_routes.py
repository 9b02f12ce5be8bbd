"""Every route is behind the kit middleware and resolves to a sound ``RoutePolicy`` (declared on
the route; authenticated unless it says otherwise); responses are msgspec Structs, never dataclasses.

Each service's ``create_app()`` is called in a fresh interpreter with throwaway settings; it
must not connect to anything while the app is built.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Plant
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fleet_standards.core import service_packages
from fleet_standards.routes import check_app_routes, inspect_app


def _env(service: str, keys: Path) -> dict[str, str]:
    keys.mkdir(exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (keys / "current.pem").write_bytes(pem)
    return {
        "DATABASE_URL": "postgresql://127.0.0.1:1/standards_never_connects",
        "SERVICE_NAME": service,
        "AUTH_JWKS_URL": "http://127.0.0.1:1/.well-known/jwks.json",
        "IDENTITY_SIGNING_KEYS_DIR": str(keys),
        "AVATARS_PUBLIC_BASE_URL": "http://127.0.0.1:8002",
        "SOCIAL_AVATARS_URL": "http://127.0.0.1:8002",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "",
        "LOG_LEVEL": "warning",
    }


SERVICES = [p.name for p in service_packages() if (p / "app.py").is_file()]


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_is_guarded(service: str, tmp_path: Path) -> None:
    report = inspect_app(f"{service}.app", _env(service, tmp_path / "keys"))
    found = check_app_routes(report)
    assert not found, "\n".join(map(str, found))
    assert report["routes"], "the app has no routes"


def test_every_service_has_an_app_factory() -> None:
    missing = [p.name for p in service_packages() if not (p / "app.py").is_file()]
    assert not missing, f"services without app.py (create_app): {missing}"


_PLANTED_APP = """
from dataclasses import dataclass
from typing import Any, NamedTuple
from litestar import Litestar, WebSocket, asgi, get, post, websocket, websocket_listener
from litestar.middleware import DefineMiddleware

from fleetkit.policy import CREDENTIALS, POLICY_KEY, PROBE, PUBLIC, RateClass, RoutePolicy, Access
from {pkg}.mw import KitMiddleware

PUBLIC_ROUTES = frozenset({{("POST", "/v1/register")}})

@dataclass
class Out:
    id: int

@get("/livez", opt=PROBE.opt(), sync_to_thread=False)
def livez() -> None: ...
@get("/readyz", opt=PROBE.opt(), sync_to_thread=False)
def readyz() -> None: ...
@get("/startupz", opt=PROBE.opt(), sync_to_thread=False)
def startupz() -> None: ...
@get("/metrics", opt=PUBLIC.opt(), sync_to_thread=False)
def metrics() -> None: ...
@post("/v1/register", opt=CREDENTIALS.opt(), sync_to_thread=False)
def register() -> None: ...
@post("/v1/login", opt={{"public": True, "rate_limit": "strict"}}, sync_to_thread=False)
def login() -> None: ...
@get("/v1/me", opt=RoutePolicy(Access.AUTHENTICATED, RateClass.OFF).opt(), sync_to_thread=False)
def me() -> Out: ...
@get("/v1/hook", opt=PROBE.opt(), sync_to_thread=False)
def hook() -> None: ...
@get("/v1/stringly", opt={{POLICY_KEY: "public"}}, sync_to_thread=False)
def stringly() -> None: ...
@get("/v1/ok", sync_to_thread=False)
def ok() -> None: ...
@get("/v1/loose", sync_to_thread=False)
def loose() -> dict[str, Any]: ...
@get("/v1/anything", sync_to_thread=False)
def anything() -> Any: ...
@get("/v1/rows", sync_to_thread=False)
def rows() -> list[dict]: ...
class Pair(NamedTuple):
    a: int
@get("/v1/pair", sync_to_thread=False)
def pair() -> Pair: ...
@websocket("/v1/ws")
async def ws(socket: WebSocket) -> None: ...
@websocket_listener("/v1/chat")
async def chat(data: str) -> str: ...
@asgi("/v1/raw")
async def raw(scope: Any, receive: Any, send: Any) -> None: ...

def create_app() -> Litestar:
    middleware = [DefineMiddleware(KitMiddleware)] if {with_mw} else []
    handlers = [livez, readyz, startupz, metrics, register, login, me, hook, stringly, ok]
    handlers += [loose, anything, rows, pair, ws, chat, raw]
    return Litestar(handlers, middleware=middleware)
"""
_PLANTED_MW = "class KitMiddleware:\n    def __init__(self, app: object) -> None:\n        self.app = app\n"


_HTTP_ONLY = (
    "the kit middleware guards HTTP only (auth, rate limit, metrics); serve it over HTTP or extend the kit first"
)


def test_route_check_catches_planted_violations(plant: Plant, tmp_path: Path) -> None:
    src = plant(
        {
            "plantapp/app.py": _PLANTED_APP.format(pkg="plantapp", with_mw=False),
            "plantapp/mw.py": _PLANTED_MW,
        }
    )
    report = inspect_app("plantapp.app", {}, extra_path=src)
    messages = sorted(v.message for v in check_app_routes(report, kit_middleware="plantapp.mw.KitMiddleware"))
    expected = [
        "GET /metrics (plantapp.app.metrics): kit probe must be PROBE (public, rate class off),"
        " got {'access': 'public', 'rate': 'default'}",
        "GET /v1/anything (plantapp.app.anything) responds with typing.Any; use msgspec.Struct",
        "GET /v1/loose (plantapp.app.loose) responds with builtins.dict[...], typing.Any; use msgspec.Struct",
        "GET /v1/me (plantapp.app.me) responds with plantapp.app.Out; use msgspec.Struct",
        "GET /v1/me (plantapp.app.me): rate class off (only the kit's probes may turn it off),"
        " got {'access': 'authenticated', 'rate': 'off'}",
        "GET /v1/hook (plantapp.app.hook): rate class off (only the kit's probes may turn it off),"
        " got {'access': 'public', 'rate': 'off'}",
        "GET /v1/stringly (plantapp.app.stringly): no RoutePolicy: route GET /v1/stringly (plantapp.app.stringly):"
        " opt['fleetkit.policy'] must be a fleetkit.policy.RoutePolicy, got 'public'",
        "GET /v1/pair (plantapp.app.pair) responds with plantapp.app.Pair; use msgspec.Struct",
        "GET /v1/rows (plantapp.app.rows) responds with builtins.dict; use msgspec.Struct",
        "POST /v1/login (plantapp.app.login): no RoutePolicy: route POST /v1/login (plantapp.app.login):"
        " opt keys ['public', 'rate_limit'] are not read any more; declare the route's policy with"
        " fleetkit.policy (e.g. opt=PUBLIC.opt())",
        "PUBLIC_ROUTES repeats what routes declare: declare each route's policy on the route (fleetkit.policy)",
        "WebsocketListenerRouteHandler /v1/chat (litestar.handlers.websocket_handlers._utils.?): " + _HTTP_ONLY,
        "WebsocketRouteHandler /v1/ws (plantapp.app.ws): " + _HTTP_ONLY,
        "ASGIRouteHandler /v1/raw (plantapp.app.raw): " + _HTTP_ONLY,
        "plantapp.mw.KitMiddleware is not in the app's middleware stack",
    ]
    assert messages == sorted(expected)


def test_route_check_reports_a_failing_factory(plant: Plant) -> None:
    src = plant({"brokenapp/app.py": "def create_app() -> None:\n    raise RuntimeError('connects at build time')\n"})
    found = check_app_routes(inspect_app("brokenapp.app", {}, extra_path=src))
    assert len(found) == 1
    assert "connects at build time" in found[0].message
