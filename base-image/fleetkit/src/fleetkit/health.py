"""``/livez``, ``/readyz``, ``/startupz`` and ``/metrics``.

- livez: the process and its loop answer. No dependency is checked, so a database outage never
  gets a pod restarted.
- readyz: not draining, token keys loaded, and within a short deadline the pool runs a query that also proves the
  schema is at the version this code expects. The 503 says which: no migrations at all (the ledger
  table is missing, read from PostgreSQL's undefined_table error), schema behind, or database failing.
- startupz: the lifespan finished starting.
"""

from __future__ import annotations

import asyncpg
import msgspec
from litestar import get
from litestar.datastructures import State

from fleetkit import queries
from fleetkit.policy import PROBE
from fleetkit.problems import Problem, problem
from fleetkit.responses import Response
from fleetkit.runtime import Runtime

__all__ = ["HEALTH_ROUTES"]

READY_DEADLINE_S = 1.0


class Status(msgspec.Struct, frozen=True):
    status: str


_OK = Status("ok")


NOT_STARTED = "Not started yet."
NO_SCHEMA = "Database has no migrations applied yet."
SCHEMA_BEHIND = "Database schema is behind this code: its latest migration is not applied yet."
DATABASE_FAILING = "Database unreachable or failing."


async def _database_not_ready(runtime: Runtime) -> str | None:
    """Why the database keeps this worker unready, or None when it is ready."""
    pool = runtime.pool
    if pool is None or not runtime.health.started:
        return NOT_STARTED
    try:
        async with pool.acquire(timeout=READY_DEADLINE_S) as conn:
            at_version = await conn.fetchval(
                queries.SELECT_SCHEMA_AT_VERSION,
                runtime.health.expected_schema,
                timeout=READY_DEADLINE_S,
            )
    except asyncpg.UndefinedTableError:
        return NO_SCHEMA
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return DATABASE_FAILING
    return None if at_version else SCHEMA_BEHIND


@get(
    "/livez",
    opt=PROBE.opt(),
    tags=["health"],
    summary="Liveness: the process answers.",
    sync_to_thread=False,
)
def livez() -> Status:
    return _OK


@get("/startupz", opt=PROBE.opt(), tags=["health"], summary="Start-up finished.")
async def startupz(state: State) -> Response[Status] | Response[Problem]:
    runtime: Runtime = state.runtime
    if runtime.health.started:
        return Response(_OK)
    return problem(503, "Service Unavailable", "Starting.", headers={"Retry-After": "1"})


@get(
    "/readyz",
    opt=PROBE.opt(),
    tags=["health"],
    summary="Readiness: database and schema ready, not draining.",
)
async def readyz(state: State) -> Response[Status] | Response[Problem]:
    runtime: Runtime = state.runtime
    if runtime.health.draining:
        return problem(503, "Service Unavailable", "Shutting down.")
    if runtime.keys is None or not runtime.keys.loaded:
        # A pod that cannot verify any token is of no use yet; pods that already hold keys stay
        # ready when identity goes down, because keys are cached and never dropped.
        return problem(503, "Service Unavailable", "Token keys not loaded yet.", headers={"Retry-After": "1"})
    reason = await _database_not_ready(runtime)
    if reason is not None:
        return problem(503, "Service Unavailable", reason, headers={"Retry-After": "1"})
    return Response(_OK)


@get("/metrics", opt=PROBE.opt(), include_in_schema=False, media_type="text/plain; version=0.0.4")
async def metrics(state: State) -> bytes:
    runtime: Runtime = state.runtime
    return runtime.metrics.render()


HEALTH_ROUTES = (livez, startupz, readyz, metrics)
