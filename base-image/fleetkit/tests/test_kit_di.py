"""The kit's dependency providers: the right values, resolved in the request's own task."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from kit_support import MIGRATIONS, kit_settings, serving
from litestar import Litestar, get
from litestar.di import NamedDependency, Provide

from fleetkit.app import Slice, create_service_app
from fleetkit.auth import StaticKeySource
from fleetkit.di import CurrentRuntime, DbPool
from fleetkit.policy import PUBLIC
from fleetkit.runtime import Runtime
from fleetkit.settings import KitSettings


def _task_a() -> object:
    return asyncio.current_task()


def _task_b() -> object:
    return asyncio.current_task()


async def _async_task_a() -> object:
    await asyncio.sleep(0)
    return asyncio.current_task()


async def _async_task_b() -> object:
    await asyncio.sleep(0)
    return asyncio.current_task()


@get("/v1/where", opt=PUBLIC.opt())
async def where(
    task_a: NamedDependency[object],
    task_b: NamedDependency[object],
    pool: DbPool,
    settings: NamedDependency[KitSettings],
    runtime: CurrentRuntime,
) -> dict[str, Any]:
    me = asyncio.current_task()
    return {
        "a_in_request_task": task_a is me,
        "b_in_request_task": task_b is me,
        "pool_is_runtimes": pool is runtime.pool,
        "service": settings.service_name,
        "answer": await pool.fetchval("SELECT 41 + 1"),
    }


@get("/v1/where-async", opt=PUBLIC.opt())
async def where_async(async_a: NamedDependency[object], async_b: NamedDependency[object]) -> dict[str, bool]:
    return {"distinct_tasks": async_a is not async_b}


def _app(database_url: str) -> Litestar:
    return create_service_app(
        settings=kit_settings(database_url),
        slices=[Slice(where, where_async)],
        migrations=MIGRATIONS,
        description="kit DI test service",
        keys_factory=lambda _runtime: StaticKeySource({}),
        dependencies={
            "task_a": Provide(_task_a, sync_to_thread=False),
            "task_b": Provide(_task_b, sync_to_thread=False),
            "async_a": Provide(_async_task_a),
            "async_b": Provide(_async_task_b),
        },
    )


def _batches(app: Litestar, path: str) -> list[set[Any]]:
    route = next(r for r in app.routes if r.path == path)
    _handler, kwargs_model = route.route_handler_map["GET"]  # type: ignore[union-attr]
    batches: list[set[Any]] = kwargs_model.dependency_batches
    return batches


async def test_sync_providers_run_in_the_requests_own_task_and_give_the_runtimes_objects(database_url: str) -> None:
    app = _app(database_url)
    async with serving(app) as client:
        response = await client.get("/v1/where")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "a_in_request_task": True,
        "b_in_request_task": True,
        "pool_is_runtimes": True,
        "service": "kit-test",
        "answer": 42,
    }
    # Litestar would put the four sibling providers in one level, resolved in a TaskGroup.
    assert [len(level) for level in _batches(app, "/v1/where")] == [1, 1, 1, 1, 1]


async def test_a_level_of_async_providers_is_left_to_litestars_task_group(database_url: str) -> None:
    app = _app(database_url)
    assert [len(level) for level in _batches(app, "/v1/where-async")] == [2]
    async with serving(app) as client:
        response = await client.get("/v1/where-async")
    assert response.status_code == 200, response.text
    assert response.json() == {"distinct_tasks": True}


async def test_the_pool_provider_fails_loudly_outside_the_lifespan(database_url: str) -> None:
    app = _app(database_url)
    runtime: Runtime = app.state.runtime
    assert runtime.pool is None
    with pytest.raises(RuntimeError, match="opened by the lifespan"):
        await app.dependencies["pool"]()
