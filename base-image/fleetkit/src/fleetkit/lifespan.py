"""The worker lifespan: open pools, client, keys and tasks at start; close them in reverse at stop.

Shutdown order (measured in docs/reliability.md): readiness turns 503 the moment SIGTERM arrives (the drain hook), the
worker keeps serving for ``SHUTDOWN_DRAIN_DELAY_S`` (0 by default), then Granian stops accepting
and lets in-flight requests finish, then this lifespan exits: service
hooks first, then background tasks, the HTTP client and finally the database pool, each within
``SHUTDOWN_TIMEOUT_S``.
"""

from __future__ import annotations

import asyncio
import gc
import random
import signal
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

import aiohttp
from litestar import Litestar

from fleetkit.auth import KeySource, TokenVerifier
from fleetkit.db import KitPool, open_pool, warm
from fleetkit.jwks import JwksKeySource
from fleetkit.logging import get_logger
from fleetkit.query_spans import connection_class
from fleetkit.runtime import Runtime
from fleetkit.telemetry import setup_tracing, shutdown_tracing

__all__ = ["Hook", "KeysFactory", "kit_lifespan"]

log = get_logger("fleetkit.lifespan")
Hook = Callable[[Runtime], AbstractAsyncContextManager[None]]
KeysFactory = Callable[[Runtime], KeySource]


def _client(runtime: Runtime) -> aiohttp.ClientSession:
    s = runtime.settings
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=s.http_total_timeout_s, connect=s.http_connect_timeout_s),
        connector=aiohttp.TCPConnector(
            limit=s.http_limit,
            limit_per_host=s.http_limit_per_host,
            keepalive_timeout=s.http_keepalive_timeout_s,
        ),
        raise_for_status=False,
    )


async def _close_pool(pool: KitPool, timeout: float) -> None:
    try:
        await asyncio.wait_for(pool.close(), timeout)
    except TimeoutError:
        log.warning("pool_close_timeout", timeout_s=timeout)
        pool.terminate()


async def _refresh_jwks_forever(keys: JwksKeySource, period: float) -> None:
    while True:
        await asyncio.sleep(period * random.uniform(0.9, 1.1) if keys.loaded else min(period, 1.0))  # noqa: S311
        await keys.refresh()


#: Granian stops a worker gracefully on SIGINT as on SIGTERM (the same handler, registered on the
#: worker's loop before the lifespan starts). The kit takes SIGTERM for itself and, once the drain
#: delay is over, hands the stop to Granian by raising SIGINT in its own process.
STOP_SIGNAL = signal.SIGINT


def _install_drain_hook(runtime: Runtime) -> None:
    """Flip readiness at once on SIGTERM; after ``SHUTDOWN_DRAIN_DELAY_S`` let Granian drain and stop.

    Only public APIs: ``loop.add_signal_handler`` (asyncio and uvloop alike) replaces Granian's
    SIGTERM handler on this loop, and ``signal.raise_signal(SIGINT)`` reaches Granian's own SIGINT
    handler, which starts the same graceful stop. A second SIGTERM (Granian's main process forwards
    the one the pod got) changes nothing: the drain delay is not cut short.
    """
    loop = asyncio.get_running_loop()
    delay = runtime.settings.shutdown_drain_delay_s

    def on_sigterm() -> None:
        if runtime.health.draining:
            return
        runtime.health.draining = True
        log.info("shutdown_requested", in_flight=runtime.in_flight, drain_delay_s=delay)
        loop.call_later(delay, signal.raise_signal, STOP_SIGNAL)

    try:
        loop.add_signal_handler(signal.SIGTERM, on_sigterm)
    except (NotImplementedError, RuntimeError, ValueError):
        log.warning("drain_hook_unavailable")


def _loop_name() -> str:
    """Which event loop serves (``asyncio`` or ``uvloop``): Granian picks uvloop when it is installed."""
    return type(asyncio.get_running_loop()).__module__.split(".")[0]


def _freeze_startup_objects() -> None:
    """Move what start-up built (the app, its routes and OpenAPI schema, modules, pools) out of GC.

    CPython's full collection walks every tracked object, and a service holds a great many
    long-lived start-up objects: each pass is a pause every request in flight waits out (it set
    the benchmark's p99; docs/performance.md). Frozen objects are never walked. Only the first
    app of a process freezes (one per Granian worker; tests build many apps in one process), and
    a collection first keeps start-up garbage from being frozen with them.
    """
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()


def kit_lifespan(
    hooks: Sequence[Hook], keys_factory: KeysFactory | None
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        runtime: Runtime = app.state.runtime
        settings = runtime.settings
        budget = settings.shutdown_timeout_s
        async with AsyncExitStack() as stack:
            tracing = setup_tracing(settings, runtime.metrics.registry)
            if tracing is not None:
                runtime.tracer, runtime.server_spans = tracing.tracer, tracing.server_spans
                stack.callback(shutdown_tracing)
                await stack.enter_async_context(tracing.exporter.running(budget))
            runtime.pool = await open_pool(
                settings,
                observe_wait=runtime.metrics.pool_wait.observe,
                on_event=runtime.metrics.count_pool_event,
                connection_class=connection_class(runtime.tracer, settings.database_url),
            )
            stack.push_async_callback(_close_pool, runtime.pool, budget)
            runtime.metrics.watch_pool(lambda: runtime.pool, settings.db_pool_max_size)
            runtime.http = _client(runtime)
            stack.push_async_callback(runtime.http.close)
            stack.push_async_callback(runtime.tasks.close, budget)
            runtime.keys = await _open_keys(runtime, keys_factory)
            if isinstance(runtime.keys, JwksKeySource):
                stack.push_async_callback(runtime.keys.close)
            runtime.verifier = TokenVerifier(
                runtime.keys,
                issuer=settings.auth_issuer,
                audience=settings.auth_audience,
                leeway_s=settings.auth_leeway_s,
                cache_size=settings.auth_token_cache_size,
                max_lifetime_s=settings.auth_max_token_lifetime_s,
            )
            runtime.tasks.spawn(
                warm(runtime.pool, settings.db_pool_min_size, settings.db_acquire_timeout_s),
                name="pool-warm",
            )
            for hook in hooks:
                await stack.enter_async_context(hook(runtime))
            _install_drain_hook(runtime)
            _freeze_startup_objects()
            runtime.health.started = True
            log.info("service_started", version=settings.service_version, loop=_loop_name())
            yield
            runtime.health.draining = True
            log.info("service_stopping", in_flight=runtime.in_flight)
        log.info("service_stopped")

    return lifespan


async def _open_keys(runtime: Runtime, keys_factory: KeysFactory | None) -> KeySource:
    if keys_factory is not None:
        return keys_factory(runtime)
    settings = runtime.settings
    if runtime.http is None:
        msg = "the HTTP client opens before the key source"
        raise RuntimeError(msg)
    keys = JwksKeySource(
        settings.auth_jwks_url,
        runtime.http,
        min_interval_s=settings.auth_jwks_min_refresh_s,
        unknown_kid_ttl_s=settings.auth_jwks_unknown_kid_ttl_s,
        on_refresh=lambda outcome: runtime.metrics.jwks_refreshes.labels(outcome).inc(),
    )
    if settings.auth_jwks_url:
        await keys.refresh()
        runtime.tasks.spawn(_refresh_jwks_forever(keys, settings.auth_jwks_refresh_s), name="jwks-refresh")
    return keys
