from __future__ import annotations

from typing import Annotated, assert_never
from uuid import UUID

from litestar import get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, HeaderParameter

from avatars.features.avatar.render_avatar.command import RenderAvatar
from avatars.features.avatar.render_avatar.handler import AvatarNotFound, Render, render_avatar
from avatars.features.avatar.render_avatar.schema import (
    CACHE_CONTROL,
    CONTENT_SECURITY_POLICY,
    RENDER_EXAMPLE,
    RENDER_MEDIA_TYPE,
)
from avatars.preconditions import none_match, not_modified
from fleetkit.app import Slice
from fleetkit.di import DbPool
from fleetkit.policy import PUBLIC
from fleetkit.problems import problem, problem_spec
from fleetkit.responses import Response

#: The route template, which every render_url names; the older ``/v1/avatars/{avatar_id}.svg`` form
#: is served by it too (``app.SvgSuffixAlias``), so URLs handed out before keep working.
ROUTE_PATH = "/v1/avatars/{avatar_id:uuid}/image.svg"


@get(
    ROUTE_PATH,
    # Public: the feed shows avatars in <img> tags, which cannot send a bearer token; the
    # picture reveals only what it shows (shape, colours, accessories, the name).
    opt=PUBLIC.opt(),
    tags=["avatars"],
    summary="An avatar as SVG (the render_url); also at /v1/avatars/{avatar_id}.svg. Public, for <img> tags.",
    media_type=RENDER_MEDIA_TYPE,
    responses={
        304: ResponseSpec(None, description="Not modified: the If-None-Match ETag is current."),
        404: problem_spec("No avatar with this id."),
    },
    response_description=f"The drawing, for example {RENDER_EXAMPLE}",
)
async def render(
    avatar_id: FromPath[UUID],
    pool: DbPool,
    if_none_match: Annotated[str | None, HeaderParameter(name="If-None-Match")] = None,
) -> Response[str]:
    outcome = await render_avatar(RenderAvatar(avatar_id=avatar_id), pool=pool)
    match outcome:
        case Render(svg=svg, etag=etag):
            headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
            if none_match(if_none_match, etag):
                return not_modified(headers)
            headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
            headers["X-Content-Type-Options"] = "nosniff"
            return Response(svg, media_type=RENDER_MEDIA_TYPE, headers=headers)
        case AvatarNotFound():
            return problem(404, "Not Found", "No avatar has this id.")
        case _:
            assert_never(outcome)


plugin = Slice(render)
