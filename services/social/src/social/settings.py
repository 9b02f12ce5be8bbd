"""Social's settings: the kit's plus how it calls avatars and keeps the feed's avatar snapshots."""

from __future__ import annotations

from typing import Annotated

import msgspec

from fleetkit.settings import KitSettings, Seconds

__all__ = ["SocialSettings"]


class SocialSettings(KitSettings, frozen=True, kw_only=True):
    service_name: str = "social"
    social_avatars_url: Annotated[
        str,
        msgspec.Meta(
            pattern=r"^https?://[^\s/]+",
            description="Base URL of the avatars service (no trailing /v1).",
        ),
    ]
    social_avatars_timeout_s: Annotated[
        Seconds, msgspec.Meta(description="Timeout of one attempt of a call to avatars.")
    ] = 1.0
    social_breaker_failures: Annotated[
        int,
        msgspec.Meta(ge=1, le=1000, description="Consecutive failed calls to avatars that open the breaker."),
    ] = 5
    social_breaker_reset_s: Annotated[
        Seconds, msgspec.Meta(description="How long the breaker stays open before one probe.")
    ] = 10.0
    social_retry_attempts: Annotated[
        int,
        msgspec.Meta(ge=1, le=10, description="Most attempts of an idempotent call to avatars."),
    ] = 3
    social_retry_deadline_s: Annotated[
        Seconds, msgspec.Meta(description="Overall deadline of one call to avatars, retries included.")
    ] = 2.0
    social_snapshot_queue_max: Annotated[
        int,
        msgspec.Meta(
            ge=1,
            le=100_000,
            description="Bound of the snapshot refresh queue; when full, work is marked stale.",
        ),
    ] = 1000
    social_snapshot_ttl_s: Annotated[
        Seconds,
        msgspec.Meta(
            description=(
                "A feed avatar snapshot older than this is confirmed with avatars before it is "
                "shown; past half of it, it is refreshed in the background."
            )
        ),
    ] = 30.0
    social_idempotency_ttl_s: Annotated[
        int,
        msgspec.Meta(ge=60, le=604_800, description="How long an Idempotency-Key of a creating POST is remembered."),
    ] = 86_400
