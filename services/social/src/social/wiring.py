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


def provide_bearer(request: Request[Any, Any, Any]) -> BearerToken:
    """The raw bearer token of an authenticated request (the kit middleware verified it)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return BearerToken(value.strip() if scheme.lower() == "bearer" else "")


class _Opened:
    """What :meth:`SocialWiring.open` builds from the opened runtime."""

    __slots__ = ("avatars", "metrics", "refresher")

    def __init__(self, avatars: AvatarDirectory, metrics: SocialMetrics, refresher: SnapshotRefresher) -> None:
        self.avatars = avatars
        self.metrics = metrics
        self.refresher = refresher


class SocialWiring:
    __slots__ = ("_opened", "settings")

    def __init__(self, settings: SocialSettings) -> None:
        self.settings = settings
        self._opened: _Opened | None = None

    def opened(self) -> _Opened:
        if self._opened is None:
            msg = "social's dependencies are opened by the lifespan"
            raise RuntimeError(msg)
        return self._opened

    @asynccontextmanager
    async def open(self, runtime: Runtime) -> AsyncIterator[None]:
        s = self.settings
        if runtime.pool is None or runtime.http is None:
            msg = "the kit lifespan opens the pool and the HTTP client before the service's hooks"
            raise RuntimeError(msg)
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
        peer = Peer(
            AVATARS,
            s.social_avatars_url,
            http=runtime.http,
            breaker=breaker,
            policy=policy,
            metrics=peer_metrics,
        )
        avatars = AvatarDirectory(peer)
        metrics = SocialMetrics(runtime.metrics.registry)
        refresher = SnapshotRefresher(
            pool=runtime.pool,
            directory=avatars,
            queue_max=s.social_snapshot_queue_max,
            metrics=metrics,
        )
        self._opened = _Opened(avatars, metrics, refresher)
        async with refresher.running():
            yield

    def dependencies(self) -> dict[str, Provide]:
        return {
            "avatars": Provide(lambda: self.opened().avatars, sync_to_thread=False),
            "refresher": Provide(lambda: self.opened().refresher, sync_to_thread=False),
            "social_metrics": Provide(lambda: self.opened().metrics, sync_to_thread=False),
            "social_settings": Provide(lambda: self.settings, sync_to_thread=False),
            "bearer": Provide(provide_bearer, sync_to_thread=False),
        }
