"""What one worker owns: settings, pools, the HTTP client, background tasks, auth, limits, metrics.

A ``Runtime`` is built by the app factory (no I/O) and opened by the lifespan (pools, client,
keys). It lives in ``app.state.runtime``; nothing in the fleet keeps state in module globals, so
every worker and replica is independent and the services scale horizontally.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
from opentelemetry import trace

from fleetkit.auth import KeySource, TokenVerifier
from fleetkit.gate import AdmissionGate
from fleetkit.metrics import Metrics
from fleetkit.proxies import ClientAddresses, parse_networks
from fleetkit.ratelimit import TokenBuckets
from fleetkit.settings import KitSettings
from fleetkit.shedding import Shedding
from fleetkit.tasks import BackgroundTasks

if TYPE_CHECKING:
    from fleetkit.db import KitPool
    from fleetkit.telemetry import ServerSpans

__all__ = ["Health", "Runtime"]


class Health:
    """Readiness inputs: started, draining, and the schema version the code expects."""

    __slots__ = ("draining", "expected_schema", "started")

    def __init__(self, expected_schema: str) -> None:
        self.started = False
        self.draining = False
        self.expected_schema = expected_schema


class Runtime:
    __slots__ = (
        "clients",
        "gate",
        "health",
        "http",
        "in_flight",
        "keys",
        "limiter",
        "metrics",
        "pool",
        "server_spans",
        "settings",
        "shedding",
        "strict_limiter",
        "tasks",
        "tracer",
        "verifier",
    )

    def __init__(self, settings: KitSettings, *, expected_schema: str) -> None:
        self.settings = settings
        self.metrics = Metrics(settings.service_name)
        self.health = Health(expected_schema)
        self.limiter = TokenBuckets(
            rate=settings.rate_limit_rps,
            burst=settings.rate_limit_burst,
            max_keys=settings.rate_limit_max_keys,
        )
        self.strict_limiter = TokenBuckets(
            rate=settings.rate_limit_strict_rps,
            burst=settings.rate_limit_strict_burst,
            max_keys=settings.rate_limit_max_keys,
        )
        self.clients = ClientAddresses(parse_networks(settings.trusted_proxies), settings.trusted_proxy_header)
        self.tasks = BackgroundTasks(settings.background_tasks_max)
        # One gate per worker, shared by every route (Litestar builds a middleware instance per
        # route). Twice the pool: enough for routes that wait on peers rather than the database,
        # few enough that the pool's own line stays short. Its line is bounded
        # (ADMISSION_QUEUE_MAX, ADMISSION_QUEUE_TIMEOUT_S): when the database slows down, the
        # excess is shed with 503 instead of piling up (gate.py).
        self.gate = AdmissionGate(
            2 * settings.db_pool_max_size,
            max_waiting=settings.admission_queue_max,
            wait_s=settings.admission_queue_timeout_s,
        )
        self.shedding = Shedding(self.metrics.requests_shed)
        self.in_flight = 0
        self.metrics.in_flight.set_function(lambda: self.in_flight)
        self.pool: KitPool | None = None
        self.http: aiohttp.ClientSession | None = None
        self.keys: KeySource | None = None
        self.verifier: TokenVerifier | None = None
        self.tracer: trace.Tracer | None = None
        self.server_spans: ServerSpans | None = None
