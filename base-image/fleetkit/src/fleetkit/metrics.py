"""Prometheus metrics of one worker, in a registry the worker owns (never the global one).

The chart runs one Granian worker per pod, so each pod's ``/metrics`` is the whole truth for
that pod and Prometheus sums across pods; with several workers per pod each worker would only
report its own share, which is why the chart pins ``GRANIAN_WORKERS=1`` and scales by replicas.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import asyncpg
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = ["Metrics"]

LATENCY_BUCKETS: tuple[float, ...] = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)


class _PoolCollector(Collector):
    def __init__(self, pool: Callable[[], asyncpg.Pool | None], max_size: int) -> None:
        self._pool = pool
        self._max = max_size

    def collect(self) -> Iterable[Metric]:
        pool = self._pool()
        size = pool.get_size() if pool is not None else 0
        idle = pool.get_idle_size() if pool is not None else 0
        yield GaugeMetricFamily("db_pool_size", "Connections the pool holds.", value=size)
        yield GaugeMetricFamily("db_pool_idle", "Idle connections in the pool.", value=idle)
        yield GaugeMetricFamily("db_pool_in_use", "Connections lent out.", value=size - idle)
        yield GaugeMetricFamily("db_pool_max", "Most connections the pool may hold.", value=self._max)


class Metrics:
    """Every metric family the kit exports; services add theirs through ``registry``."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "http_requests",
            "HTTP requests answered.",
            ("route", "method", "status_class"),
            registry=r,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency.",
            ("route", "method"),
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge("http_requests_in_flight", "HTTP requests being served.", registry=r)
        self.pool_wait = Histogram(
            "db_pool_acquire_wait_seconds",
            "Time spent waiting for a pooled connection.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.dependency_calls = Counter(
            "dependency_requests", "Calls to other services.", ("dependency", "outcome"), registry=r
        )
        self.dependency_duration = Histogram(
            "dependency_request_duration_seconds",
            "Latency of calls to other services.",
            ("dependency",),
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.jwks_refreshes = Counter("auth_jwks_refreshes", "JWKS fetches.", ("outcome",), registry=r)
        self.auth_failures = Counter("auth_failures", "Rejected credentials.", ("reason",), registry=r)
        self.rate_limited = Counter(
            "rate_limit_rejections",
            "Requests refused by the rate limiter.",
            ("policy",),
            registry=r,
        )
        self.info = Gauge("service_info", "Constant 1, labelled with the service.", ("service",), registry=r)
        self.info.labels(service).set(1)

    def watch_pool(self, pool: Callable[[], asyncpg.Pool | None], max_size: int) -> None:
        self.registry.register(_PoolCollector(pool, max_size))

    def render(self) -> bytes:
        return generate_latest(self.registry)
