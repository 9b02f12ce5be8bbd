"""Prometheus metrics of one worker, in a registry the worker owns (never the global one).

The chart runs one Granian worker per pod, so each pod's ``/metrics`` is the whole truth for
that pod and Prometheus sums across pods; with several workers per pod each worker would only
report its own share, which is why the chart pins ``GRANIAN_WORKERS=1`` and scales by replicas.

The per-request RED metrics (``http_requests_total``, ``http_request_duration_seconds``) are
kept in :class:`RouteRed` records, plain integers the kit middleware bumps (a ``bisect`` and
three additions), and turned into Prometheus samples only when ``/metrics`` is scraped.
prometheus_client's own ``Counter.inc`` and ``Histogram.observe`` take a lock and walk the
buckets on every request, which the profile of a one-row GET showed as a visible share of the
worker's time (docs/performance.md). The records are touched only from the worker's event loop
thread, where the scrape also runs, so they need no lock.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable
from itertools import accumulate

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from fleetkit.db import EVENTS as POOL_EVENTS
from fleetkit.db import KitPool

__all__ = ["Latency", "Metrics", "RouteRed"]

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


STATUS_CLASSES: tuple[str, ...] = ("1xx", "2xx", "3xx", "4xx", "5xx")
_BUCKET_LABELS: tuple[str, ...] = (*(repr(b) for b in LATENCY_BUCKETS), "+Inf")  # "0.001", ..., "10.0"


class RouteRed:
    """Requests by status class and the latency histogram of one (route template, method)."""

    __slots__ = ("buckets", "statuses", "total_seconds")

    def __init__(self) -> None:
        self.statuses = [0] * len(STATUS_CLASSES)
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)  # per bucket, not cumulative; the last is +Inf
        self.total_seconds = 0.0

    def observe(self, status: int, seconds: float) -> None:
        self.statuses[min(max(status // 100, 1), 5) - 1] += 1
        self.buckets[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.total_seconds += seconds


class Latency:
    """An unlabelled latency histogram kept as plain integers (see :class:`RouteRed`)."""

    __slots__ = ("buckets", "total_seconds")

    def __init__(self) -> None:
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)
        self.total_seconds = 0.0

    def observe(self, seconds: float) -> None:
        self.buckets[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.total_seconds += seconds


class _LatencyCollector(Collector):
    def __init__(self, name: str, documentation: str, latency: Latency) -> None:
        self._name = name
        self._documentation = documentation
        self._latency = latency

    def describe(self) -> Iterable[Metric]:
        yield HistogramMetricFamily(self._name, self._documentation)

    def collect(self) -> Iterable[Metric]:
        cumulative = list(accumulate(self._latency.buckets))
        yield HistogramMetricFamily(
            self._name,
            self._documentation,
            buckets=list(zip(_BUCKET_LABELS, cumulative, strict=True)),
            sum_value=self._latency.total_seconds,
        )


class _RedCollector(Collector):
    def __init__(self, routes: dict[tuple[str, str], RouteRed]) -> None:
        self._routes = routes

    @staticmethod
    def _families() -> tuple[CounterMetricFamily, HistogramMetricFamily]:
        return (
            CounterMetricFamily("http_requests", "HTTP requests answered.", labels=("route", "method", "status_class")),
            HistogramMetricFamily("http_request_duration_seconds", "HTTP request latency.", labels=("route", "method")),
        )

    def describe(self) -> Iterable[Metric]:
        yield from self._families()

    def collect(self) -> Iterable[Metric]:
        requests, duration = self._families()
        for (route, method), red in sorted(self._routes.items()):
            for status_class, count in zip(STATUS_CLASSES, red.statuses, strict=True):
                if count:
                    requests.add_metric((route, method, status_class), count)
            cumulative = list(accumulate(red.buckets))
            duration.add_metric((route, method), list(zip(_BUCKET_LABELS, cumulative, strict=True)), red.total_seconds)
        yield requests
        yield duration


class _PoolCollector(Collector):
    def __init__(self, pool: Callable[[], KitPool | None], max_size: int) -> None:
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
        self._routes: dict[tuple[str, str], RouteRed] = {}
        r.register(_RedCollector(self._routes))
        self.in_flight = Gauge("http_requests_in_flight", "HTTP requests being served.", registry=r)
        self.pool_wait = Latency()  # every query acquires: the same plain-integer bookkeeping as RouteRed
        r.register(
            _LatencyCollector(
                "db_pool_acquire_wait_seconds", "Time spent waiting for a pooled connection.", self.pool_wait
            )
        )
        self.pool_events = Counter(
            "db_pool_connection_events",
            "What happened to pooled connections: opened, closed, reset, discarded, lost.",
            ("event",),
            registry=r,
        )
        for event in POOL_EVENTS:  # every series exists from the start, at 0
            self.pool_events.labels(event)
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
        self.token_verifications = Counter(
            "auth_token_verifications",
            "Bearer tokens not seen before, checked against the signing keys (a signature check each).",
            registry=r,
        )
        self.rate_limited = Counter(
            "rate_limit_rejections",
            "Requests refused by the rate limiter.",
            ("policy",),
            registry=r,
        )
        self.requests_shed = Counter(
            "http_requests_shed",
            "Requests answered 503 because the worker was at capacity (admission gate or bounded work full).",
            ("route",),
            registry=r,
        )
        self.info = Gauge("service_info", "Constant 1, labelled with the service.", ("service",), registry=r)
        self.info.labels(service).set(1)

    def route(self, template: str, method: str) -> RouteRed:
        """The RED record of a route template and method (one per pair, made on first use)."""
        red = self._routes.get((template, method))
        if red is None:
            red = self._routes[(template, method)] = RouteRed()
        return red

    def watch_pool(self, pool: Callable[[], KitPool | None], max_size: int) -> None:
        self.registry.register(_PoolCollector(pool, max_size))

    def count_pool_event(self, event: str) -> None:
        """``KitPool``'s ``on_event``: one connection event (``fleetkit.db.EVENTS``)."""
        self.pool_events.labels(event).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
