from __future__ import annotations

from typing import Annotated, assert_never
from uuid import UUID

from litestar import delete
from litestar.params import FromPath, HeaderParameter

from avatars.features.avatar.delete_avatar.command import DeleteAvatar
from avatars.features.avatar.delete_avatar.handler import (
    AvatarDeleted,
    AvatarNotFound,
    VersionMismatch,
    delete_avatar,
)
from avatars.features.avatar.delete_avatar.schema import IF_MATCH_DESCRIPTION
from avatars.preconditions import if_match_versions, version_etag
from fleetkit.app import Slice
from fleetkit.di import CurrentCaller, DbPool
from fleetkit.problems import problem, problem_spec
from fleetkit.responses import Response


@delete(
    "/v1/avatars/{avatar_id:uuid}",
    tags=["avatars"],
    summary="Delete an avatar of yours (204).",
    responses={
        404: problem_spec("No avatar of yours with this id."),
        412: problem_spec("If-Match was sent and the avatar has changed since."),
    },
)
async def remove_avatar(
    avatar_id: FromPath[UUID],
    caller: CurrentCaller,
    pool: DbPool,
    if_match: Annotated[str | None, HeaderParameter(name="If-Match", description=IF_MATCH_DESCRIPTION)] = None,
) -> Response[None]:
    cmd = DeleteAvatar(
        avatar_id=avatar_id,
        owner_id=caller.user_id,
        expected_versions=None if if_match is None else if_match_versions(if_match),
    )
    outcome = await delete_avatar(cmd, pool=pool)
    match outcome:
        case AvatarDeleted():
            return Response(None, status_code=204)
        case VersionMismatch(current_version=current):
            return problem(
                412,
                "Precondition Failed",
                "The avatar changed since you read it; read it again if you still want it gone.",
                headers={"ETag": version_etag(current)},
            )
        case AvatarNotFound():
            return problem(404, "Not Found", "No avatar of yours has this id.")
        case _:
            assert_never(outcome)


plugin = Slice(remove_avatar)
