"""Social's own metric families, on the worker's registry (next to the kit's)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

__all__ = ["SocialMetrics"]


class SocialMetrics:
    __slots__ = ("feed_degraded", "queue_depth", "snapshot_deferred", "snapshot_refreshes")

    def __init__(self, registry: CollectorRegistry) -> None:
        self.feed_degraded = Counter(
            "social_feed_degraded",
            "Feed pages served without confirmed avatar snapshots, by the avatars failure.",
            ("reason",),
            registry=registry,
        )
        self.snapshot_refreshes = Counter(
            "social_snapshot_refreshes",
            "Background snapshot refresh batches, by outcome.",
            ("outcome",),
            registry=registry,
        )
        self.snapshot_deferred = Counter(
            "social_snapshot_refresh_deferred",
            "Avatar ids whose refresh was deferred (marked stale) instead of queued.",
            ("cause",),
            registry=registry,
        )
        self.queue_depth = Gauge("social_snapshot_queue_depth", "Refresh jobs waiting in the queue.", registry=registry)
