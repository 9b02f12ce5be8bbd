from __future__ import annotations

from typing import Annotated, assert_never
from uuid import UUID

from litestar import get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, HeaderParameter

from avatars.avatars import Avatar, render_url
from avatars.features.avatar.get_avatar.command import GetAvatar
from avatars.features.avatar.get_avatar.handler import AvatarNotFound, get_avatar
from avatars.features.avatar.get_avatar.schema import AvatarPalette, AvatarResponse
from avatars.preconditions import none_match, not_modified, version_etag
from avatars.settings import AvatarsSettings
from fleetkit.app import Slice
from fleetkit.di import DbPool
from fleetkit.problems import problem, problem_spec
from fleetkit.responses import Response


@get(
    "/v1/avatars/{avatar_id:uuid}",
    tags=["avatars"],
    summary="One avatar; its ETag is its version (send it as If-Match to update).",
    description=(
        "Any authenticated caller can read any avatar, not only their own: avatars are shown next "
        "to their owners' posts to every user (a design choice; the public SVG render shows the "
        "same). Only the owner can change or delete one."
    ),
    responses={
        304: ResponseSpec(None, description="Not modified: the If-None-Match ETag is current."),
        404: problem_spec("No avatar with this id."),
    },
)
async def read_avatar(
    avatar_id: FromPath[UUID],
    pool: DbPool,
    settings: NamedDependency[AvatarsSettings],
    if_none_match: Annotated[str | None, HeaderParameter(name="If-None-Match")] = None,
) -> Response[AvatarResponse]:
    outcome = await get_avatar(GetAvatar(avatar_id=avatar_id), pool=pool)
    match outcome:
        case Avatar() as a:
            etag = version_etag(a.version)
            if none_match(if_none_match, etag):
                return not_modified({"ETag": etag})
            body = AvatarResponse(
                id=a.id,
                owner_id=a.owner_id,
                name=a.name,
                shape=a.shape,
                palette=AvatarPalette(
                    background=a.color_background, foreground=a.color_foreground, accent=a.color_accent
                ),
                accessories=a.accessories,
                version=a.version,
                render_url=render_url(settings.render_base, a.id),
                created_at=a.created_at,
                updated_at=a.updated_at,
            )
            return Response(body, headers={"ETag": etag, "Cache-Control": "private, no-cache"})
        case AvatarNotFound():
            return problem(404, "Not Found", "No avatar has this id.")
        case _:
            assert_never(outcome)


plugin = Slice(read_avatar)
