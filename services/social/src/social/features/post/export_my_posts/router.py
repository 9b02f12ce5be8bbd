from __future__ import annotations

from litestar import get
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Stream

from fleetkit.app import Slice
from fleetkit.di import CurrentCaller, DbPool
from social.features.post.export_my_posts.command import ExportMyPosts
from social.features.post.export_my_posts.handler import export_my_posts
from social.features.post.export_my_posts.schema import ExportedPost

NDJSON = "application/x-ndjson"


@get(
    "/v1/me/posts/export",
    tags=["posts"],
    summary="Export all your posts as NDJSON (one JSON object per line), streamed.",
    response_description="One ExportedPost per line, oldest first.",
    media_type=NDJSON,
    responses={
        200: ResponseSpec(
            data_container=ExportedPost,
            media_type=NDJSON,
            description="One ExportedPost JSON object per line, oldest first.",
        ),
    },
)
async def export_mine(caller: CurrentCaller, pool: DbPool) -> Stream:
    lines = export_my_posts(ExportMyPosts(caller.user_id), pool=pool)
    return Stream(
        lines,
        media_type=NDJSON,
        headers={"Content-Disposition": 'attachment; filename="posts.ndjson"'},
    )


plugin = Slice(export_mine)
