from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from litestar import MediaType, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from fleetkit.app import Slice
from fleetkit.di import DbPool
from fleetkit.ids import utcnow
from fleetkit.problems import problem_spec
from fleetkit.responses import Response
from social.avatar_directory import AvatarDirectory
from social.bearer import BearerToken
from social.features.feed.read_feed_page.command import ReadFeedPage
from social.features.feed.read_feed_page.handler import read_feed_page
from social.features.feed.read_feed_page.schema import FeedPageResponse
from social.metrics import SocialMetrics
from social.settings import SocialSettings
from social.snapshots.refresher import SnapshotRefresher


@get(
    "/v1/feed",
    tags=["feed"],
    summary="The feed, newest first, with each author's avatar; degrades, never fails, without avatars.",
    responses={
        200: ResponseSpec(FeedPageResponse, generate_examples=False, description="Request fulfilled, document follows"),
        400: problem_spec("Invalid query parameter; the problem names it."),
    },
)
async def feed(
    *,
    pool: DbPool,
    avatars: NamedDependency[AvatarDirectory],
    refresher: NamedDependency[SnapshotRefresher],
    social_metrics: NamedDependency[SocialMetrics],
    social_settings: NamedDependency[SocialSettings],
    bearer: NamedDependency[BearerToken],
    after: Annotated[
        UUID | None,
        Parameter(description="next_after of the previous page; omit for the newest posts."),
    ] = None,
    limit: Annotated[int, Parameter(ge=1, le=100, description="Posts per page.")] = 20,
) -> Response[bytes]:
    page = await read_feed_page(
        ReadFeedPage(after=after, limit=limit, now=utcnow(), bearer=bearer),
        pool=pool,
        avatars=avatars,
        refresher=refresher,
        metrics=social_metrics,
        snapshot_ttl_s=social_settings.social_snapshot_ttl_s,
    )
    # The handler's page has FeedPageResponse's fields in its order (a test holds them equal), so
    # its JSON is the documented 200 body without building every item a second time.
    return Response(msgspec.json.encode(page), media_type=MediaType.JSON)


plugin = Slice(feed)
