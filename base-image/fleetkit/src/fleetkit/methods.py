"""OPTIONS and HEAD, answered the same way on every path of every service.

- ``OPTIONS``: Litestar builds a path's automatic OPTIONS answer when the path's first handler is
  registered, so a path served by two slices (GET in one, PATCH and DELETE in others) listed only
  the first slice's methods in ``Allow``. The kit mounts its own OPTIONS handler on every path,
  before the slices' handlers, with the union of all their methods. It is public: a CORS-style
  preflight carries no credentials. It stays rate limited like any anonymous call.
- ``HEAD``: every GET route answers HEAD (RFC 9110 §9.3.2), public GETs (the SVG render)
  anonymously, the others with the same bearer token as the GET. The request is routed as the
  GET it stands for, and the GET's status and headers (``Content-Length``, ``ETag``) go out
  without the body. The route's metrics and span count it as the GET (same handler, same work).
"""

from __future__ import annotations

from typing import Any

from litestar import route
from litestar.config.app import AppConfig
from litestar.enums import HttpMethod
from litestar.handlers import HTTPRouteHandler
from litestar.plugins import InitPluginProtocol
from litestar.utils import normalize_path

from fleetkit.policy import PUBLIC
from fleetkit.responses import Response

__all__ = ["HeadAsGet", "Preflight", "allow_header"]


def allow_header(methods: set[str]) -> str:
    """The ``Allow`` value for a path served by ``methods``: OPTIONS always, HEAD wherever GET is."""
    allowed = {*methods, "OPTIONS"}
    if "GET" in allowed:
        allowed.add("HEAD")
    return ", ".join(sorted(allowed))


def _preflight(path: str, allow: str) -> HTTPRouteHandler:
    headers = {"Allow": allow}

    def preflight() -> Response[None]:
        """OPTIONS: the methods this path answers."""
        return Response(None, status_code=204, headers=dict(headers))

    handler: HTTPRouteHandler = route(
        path,
        http_method=[HttpMethod.OPTIONS],
        include_in_schema=False,
        sync_to_thread=False,
        opt=PUBLIC.opt(),
    )(preflight)
    return handler


class Preflight(InitPluginProtocol):
    """Mount one OPTIONS handler per path (listed last among the app's plugins: it sees every route)."""

    __slots__ = ()

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        methods: dict[str, set[str]] = {}
        for handler in app_config.route_handlers:
            if isinstance(handler, HTTPRouteHandler):
                for path in handler.paths:
                    methods.setdefault(normalize_path(path), set()).update(handler.http_methods)
        preflights = [
            _preflight(path, allow_header(found)) for path, found in methods.items() if "OPTIONS" not in found
        ]
        # First: Litestar adds its own OPTIONS handler to a path that has none when it registers it.
        app_config.route_handlers[:0] = preflights
        return app_config


class HeadAsGet:
    """ASGI shim in front of the router: HEAD is served by the path's GET route, without the body."""

    __slots__ = ("app",)

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Any) -> None:
            if message["type"] == "http.response.body" and message.get("body"):
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)
