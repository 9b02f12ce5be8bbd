"""Dependency providers (Litestar DI): what a router may ask for by parameter name.

``pool``, ``http``, ``tasks``, ``settings``, ``runtime`` and ``caller`` (the authenticated
caller; only on routes that are not public).
"""

from __future__ import annotations

from typing import Any, TypeAlias

import aiohttp
from litestar import Request
from litestar.di import NamedDependency, Provide

from fleetkit.auth import Caller
from fleetkit.db import KitPool
from fleetkit.runtime import Runtime
from fleetkit.tasks import BackgroundTasks

__all__ = ["CurrentCaller", "CurrentRuntime", "DbPool", "HttpClient", "Tasks", "kit_dependencies"]


def provide_caller(request: Request[Any, Any, Any]) -> Caller:
    caller: Caller = request.scope["user"]  # set by KitMiddleware on every non-public route
    return caller


def _opened[T](value: T | None, what: str) -> T:
    if value is None:
        msg = f"{what} is opened by the lifespan"
        raise RuntimeError(msg)
    return value


def kit_dependencies(runtime: Runtime) -> dict[str, Provide]:
    """The kit's providers for one app.

    All but ``caller`` take no parameters: they read the app's runtime from the closure, so
    Litestar has no signature to parse for them (a provider taking ``state`` costs a State
    object and a msgspec conversion per request). They run in the request's own task (see
    ``fleetkit.app.resolve_sync_dependencies_in_line``).
    """
    return {
        "runtime": Provide(lambda: runtime, sync_to_thread=False),
        "pool": Provide(lambda: _opened(runtime.pool, "the pool"), sync_to_thread=False),
        "http": Provide(lambda: _opened(runtime.http, "the HTTP client"), sync_to_thread=False),
        "tasks": Provide(lambda: runtime.tasks, sync_to_thread=False),
        "settings": Provide(lambda: runtime.settings, sync_to_thread=False),
        "caller": Provide(provide_caller, sync_to_thread=False),
    }


#: Router parameter types: ``async def route(data: JSONBody[Req], pool: DbPool, caller: CurrentCaller)``.
DbPool: TypeAlias = NamedDependency[KitPool]
HttpClient: TypeAlias = NamedDependency[aiohttp.ClientSession]
Tasks: TypeAlias = NamedDependency[BackgroundTasks]
CurrentCaller: TypeAlias = NamedDependency[Caller]
CurrentRuntime: TypeAlias = NamedDependency[Runtime]
