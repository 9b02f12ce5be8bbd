"""Dependency providers (Litestar DI): what a router may ask for by parameter name.

``pool``, ``http``, ``tasks``, ``settings``, ``runtime`` and ``caller`` (the authenticated
caller; only on routes that are not public).
"""

from __future__ import annotations

from typing import Any, TypeAlias

import aiohttp
import asyncpg
from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from fleetkit.auth import Caller
from fleetkit.runtime import Runtime
from fleetkit.settings import KitSettings
from fleetkit.tasks import BackgroundTasks

__all__ = ["CurrentCaller", "CurrentRuntime", "DbPool", "HttpClient", "Tasks", "kit_dependencies"]


def provide_runtime(state: State) -> Runtime:
    runtime: Runtime = state.runtime
    return runtime


def provide_pool(state: State) -> asyncpg.Pool:
    pool = provide_runtime(state).pool
    if pool is None:
        msg = "the pool is opened by the lifespan"
        raise RuntimeError(msg)
    return pool


def provide_http(state: State) -> aiohttp.ClientSession:
    http = provide_runtime(state).http
    if http is None:
        msg = "the HTTP client is opened by the lifespan"
        raise RuntimeError(msg)
    return http


def provide_tasks(state: State) -> BackgroundTasks:
    return provide_runtime(state).tasks


def provide_settings(state: State) -> KitSettings:
    return provide_runtime(state).settings


def provide_caller(request: Request[Any, Any, Any]) -> Caller:
    caller: Caller = request.scope["user"]  # set by KitMiddleware on every non-public route
    return caller


def kit_dependencies() -> dict[str, Provide]:
    return {
        "runtime": Provide(provide_runtime, sync_to_thread=False),
        "pool": Provide(provide_pool, sync_to_thread=False),
        "http": Provide(provide_http, sync_to_thread=False),
        "tasks": Provide(provide_tasks, sync_to_thread=False),
        "settings": Provide(provide_settings, sync_to_thread=False),
        "caller": Provide(provide_caller, sync_to_thread=False),
    }


#: Router parameter types: ``async def route(data: JSONBody[Req], pool: DbPool, caller: CurrentCaller)``.
DbPool: TypeAlias = NamedDependency[asyncpg.Pool]
HttpClient: TypeAlias = NamedDependency[aiohttp.ClientSession]
Tasks: TypeAlias = NamedDependency[BackgroundTasks]
CurrentCaller: TypeAlias = NamedDependency[Caller]
CurrentRuntime: TypeAlias = NamedDependency[Runtime]
