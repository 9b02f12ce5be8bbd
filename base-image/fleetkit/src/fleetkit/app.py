"""The app factory: one call turns a service's settings and slices into a Litestar app.

A slice's ``router.py`` ends with ``plugin = Slice(handler_a, handler_b)``; the service's
``app.py`` lists its slices' plugins, so mounting a new slice is one line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.plugins import InitPluginProtocol
from litestar.router import Router

from fleetkit.di import kit_dependencies
from fleetkit.health import HEALTH_ROUTES
from fleetkit.lifespan import Hook, KeysFactory, kit_lifespan
from fleetkit.logging import configure_logging
from fleetkit.methods import HeadAsGet, Preflight
from fleetkit.middleware import KitMiddleware
from fleetkit.migrate import load_migrations
from fleetkit.openapi import (
    ScalarDocs,
    StrictStructSchemaPlugin,
    SwaggerDocs,
    document_kit_responses,
    document_probe_responses,
    security_components,
)
from fleetkit.policy import PUBLIC, policy_of, route_label
from fleetkit.problems import PROBLEM_JSON, exception_handlers, problem
from fleetkit.requests import KitRequest
from fleetkit.responses import Response
from fleetkit.runtime import Runtime
from fleetkit.settings import KitSettings
from fleetkit.telemetry import add_trace_ids
from fleetkit.unmatched import unmatched_aware

__all__ = ["Slice", "check_route_policies", "create_service_app"]

DOCS_PATH = "/docs"


class Slice(InitPluginProtocol):
    """A feature slice as a Litestar plugin: it contributes its route handlers to the app."""

    __slots__ = ("handlers",)

    def __init__(self, *handlers: Any) -> None:
        self.handlers = handlers
        for handler in handlers:
            document_kit_responses(handler)

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.extend(self.handlers)
        return app_config


async def _docs_errors_as_problems(response: Response[Any]) -> Response[Any]:
    """The docs router answers unknown pages with an HTML 404; every error in the fleet is a problem."""
    status = response.status_code or 200
    if status >= 400 and response.media_type != PROBLEM_JSON:
        return problem(status, "Not Found" if status == 404 else "Error")
    return response


def create_service_app(
    *,
    settings: KitSettings,
    slices: Sequence[Slice],
    migrations: Path,
    description: str,
    hooks: Sequence[Hook] = (),
    keys_factory: KeysFactory | None = None,
    dependencies: Mapping[str, Provide] | None = None,
    debug: bool = False,
) -> Litestar:
    """Build a service's app. No I/O happens here: pools and keys open in the lifespan."""
    configure_logging(
        service=settings.service_name, level=settings.log_level, fmt=settings.log_format, processors=(add_trace_ids,)
    )
    versions = load_migrations(migrations)
    runtime = Runtime(settings, expected_schema=versions[-1].version if versions else "")
    handlers = exception_handlers()
    # 404/405 for unknown routes are raised by Litestar's router, before any route middleware:
    # the app-level handler counts, limits and traces them (fleetkit.unmatched).
    handlers[HTTPException] = unmatched_aware(runtime, handlers[HTTPException])
    docs = Router(path=DOCS_PATH, route_handlers=[], include_in_schema=False, opt=PUBLIC.opt())
    for probe in HEALTH_ROUTES:
        document_probe_responses(probe)
    app = Litestar(
        route_handlers=list(HEALTH_ROUTES),
        plugins=[StrictStructSchemaPlugin(), *slices, Preflight()],
        middleware=[DefineMiddleware(KitMiddleware, runtime=runtime)],
        dependencies={**kit_dependencies(runtime), **(dependencies or {})},
        exception_handlers=handlers,
        lifespan=[kit_lifespan(hooks, keys_factory)],
        state=State({"runtime": runtime}),
        request_max_body_size=settings.max_body_bytes,
        request_class=KitRequest,
        openapi_config=OpenAPIConfig(
            title=settings.service_name,
            version=settings.service_version,
            description=description,
            openapi_router=docs,
            render_plugins=[ScalarDocs(path="/"), SwaggerDocs(path="/swagger")],
            components=security_components(),
        ),
        debug=debug,
    )
    # Litestar's docs router answers unknown pages itself with HTML; its handlers are built by the
    # OpenAPI plugin, so the hook is set on them once the app exists (before any request is served).
    for route in app.routes:
        if route.path.startswith(DOCS_PATH):
            for handler in getattr(route, "route_handlers", ()):
                handler.after_request = _docs_errors_as_problems
    check_route_policies(app)
    resolve_sync_dependencies_in_line(app)
    app.asgi_handler = HeadAsGet(app.asgi_handler)
    return app


def check_route_policies(app: Litestar) -> None:
    """Every HTTP route's ``opt`` resolves to a ``RoutePolicy``; ``RoutePolicyError`` names the first that does not."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            policy_of(handler.opt, route_label(handler.http_methods, [route.path], handler.fn))


def _runs_in_line(dependency: Any) -> bool:
    provide = dependency.provide
    return bool(provide.has_sync_callable) and not provide.has_async_generator_dependency


def resolve_sync_dependencies_in_line(app: Litestar) -> None:
    """Resolve a route's synchronous dependencies one after the other, in the request's own task.

    Litestar resolves the dependencies of one level of the graph (``pool``, ``settings``,
    ``caller``: all siblings) in an anyio TaskGroup, one task each, so that async providers doing
    I/O overlap. The kit's providers are synchronous attribute reads: the tasks only add a task
    group, a task per provider and an event-loop turn, a large share of a small GET's time in
    Litestar (docs/performance.md). Splitting such a level into one-member levels keeps the
    order Litestar computed (members of a level never depend on each other) and makes Litestar
    take its own one-dependency path. Levels with an async provider are left as they are.
    """
    for route in app.routes:
        for _handler, kwargs_model in getattr(route, "route_handler_map", {}).values():
            levels: list[set[Any]] = []
            for batch in kwargs_model.dependency_batches:
                if len(batch) > 1 and all(_runs_in_line(d) for d in batch):
                    levels.extend({d} for d in batch)
                else:
                    levels.append(batch)
            kwargs_model.dependency_batches = levels
