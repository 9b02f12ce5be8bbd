"""What the social slices depend on beyond the kit: the avatars directory (a Peer behind a
breaker), the snapshot worker, social's metrics and the caller's bearer token.

One :class:`SocialWiring` per app (no module state): built by ``create_app`` with no I/O, opened
by the kit lifespan as a hook (it needs the worker's HTTP session, pool and metrics registry),
which also runs the snapshot worker for the life of the app.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Request
from litestar.di import Provide

from fleetkit.peers import CircuitBreaker, Peer, PeerMetrics, RetryPolicy
from fleetkit.runtime import Runtime
from social.avatar_directory import AvatarDirectory
from social.bearer import BearerToken
from social.metrics import SocialMetrics
from social.settings import SocialSettings
from social.snapshots.refresher import SnapshotRefresher

__all__ = ["SocialWiring"]

AVATARS = "avatars"


def _opened[T](value: T | None, what: str) -> T:
    if value is None:
        msg = f"{what} is opened by the lifespan"
        raise RuntimeError(msg)
    return value


def provide_bearer(request: Request[Any, Any, Any]) -> BearerToken:
    """The raw bearer token of an authenticated request (the kit middleware verified it)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return BearerToken(value.strip() if scheme.lower() == "bearer" else "")


class SocialWiring:
    __slots__ = ("avatars", "metrics", "refresher", "settings")

    def __init__(self, settings: SocialSettings) -> None:
        self.settings = settings
        self.avatars: AvatarDirectory | None = None
        self.refresher: SnapshotRefresher | None = None
        self.metrics: SocialMetrics | None = None

    @asynccontextmanager
    async def open(self, runtime: Runtime) -> AsyncIterator[None]:
        s = self.settings
        peer_metrics = PeerMetrics(runtime.metrics)
        breaker = CircuitBreaker(
            AVATARS,
            failure_threshold=s.social_breaker_failures,
            reset_timeout_s=s.social_breaker_reset_s,
            metrics=peer_metrics,
        )
        policy = RetryPolicy(
            attempts=s.social_retry_attempts,
            attempt_timeout_s=s.social_avatars_timeout_s,
            deadline_s=s.social_retry_deadline_s,
        )
        http = _opened(runtime.http, "the HTTP client")
        peer = Peer(
            AVATARS,
            s.social_avatars_url,
            http=http,
            breaker=breaker,
            policy=policy,
            metrics=peer_metrics,
        )
        self.avatars = AvatarDirectory(peer)
        self.metrics = SocialMetrics(runtime.metrics.registry)
        self.refresher = SnapshotRefresher(
            pool=_opened(runtime.pool, "the pool"),
            directory=self.avatars,
            queue_max=s.social_snapshot_queue_max,
            metrics=self.metrics,
        )
        async with self.refresher.running():
            yield

    def dependencies(self) -> dict[str, Provide]:
        return {
            "avatars": Provide(lambda: _opened(self.avatars, "avatars"), sync_to_thread=False),
            "refresher": Provide(lambda: _opened(self.refresher, "the snapshot worker"), sync_to_thread=False),
            "social_metrics": Provide(lambda: _opened(self.metrics, "social metrics"), sync_to_thread=False),
            "social_settings": Provide(lambda: self.settings, sync_to_thread=False),
            "bearer": Provide(provide_bearer, sync_to_thread=False),
        }
