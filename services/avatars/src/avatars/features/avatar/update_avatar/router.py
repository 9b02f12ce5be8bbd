from __future__ import annotations

from typing import Annotated, assert_never
from uuid import UUID

import msgspec
from litestar import patch
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody

from avatars.avatars import Avatar, render_url
from avatars.features.avatar.update_avatar.command import UpdateAvatar
from avatars.features.avatar.update_avatar.handler import (
    AvatarNotFound,
    VersionMismatch,
    update_avatar,
)
from avatars.features.avatar.update_avatar.schema import (
    UpdateAvatarRequest,
    UpdatedAvatarResponse,
    UpdatedPalette,
)
from avatars.preconditions import if_match_versions, version_etag
from avatars.settings import AvatarsSettings
from fleetkit.app import Slice
from fleetkit.di import CurrentCaller, DbPool
from fleetkit.problems import FieldError, problem, problem_spec
from fleetkit.responses import Response


def _unset_to_none[T](value: T | msgspec.UnsetType) -> T | None:
    return None if isinstance(value, msgspec.UnsetType) else value


@patch(
    "/v1/avatars/{avatar_id:uuid}",
    tags=["avatars"],
    summary="Change an avatar of yours; If-Match with its current ETag is required.",
    responses={
        400: problem_spec("Malformed body."),
        404: problem_spec("No avatar of yours with this id."),
        412: problem_spec("The avatar changed since you read it (stale If-Match)."),
        422: problem_spec("The body is well formed but changes nothing (an empty patch)."),
        428: problem_spec("If-Match is missing: a change must say which version it replaces."),
    },
)
async def change_avatar(
    avatar_id: FromPath[UUID],
    *,
    data: JSONBody[UpdateAvatarRequest],
    caller: CurrentCaller,
    pool: DbPool,
    settings: NamedDependency[AvatarsSettings],
    # Required: without it the kit answers 428 Precondition Required (fleetkit.problems), not 400.
    if_match: Annotated[str, HeaderParameter(name="If-Match", description='The ETag read, e.g. "3".')],
) -> Response[UpdatedAvatarResponse]:
    palette = _unset_to_none(data.palette)
    accessories = _unset_to_none(data.accessories)
    cmd = UpdateAvatar(
        avatar_id=avatar_id,
        owner_id=caller.user_id,
        expected_versions=if_match_versions(if_match),
        name=_unset_to_none(data.name),
        shape=_unset_to_none(data.shape),
        palette=None if palette is None else (palette.background, palette.foreground, palette.accent),
        accessories=None if accessories is None else tuple(sorted(set(accessories))),
    )
    if all(v is None for v in (cmd.name, cmd.shape, cmd.palette, cmd.accessories)):
        fields = "name, shape, palette, accessories"
        errors = [FieldError("body", f"send at least one of {fields}")]
        return problem(422, "Unprocessable Content", f"Nothing to change: send {fields}.", errors=errors)
    outcome = await update_avatar(cmd, pool=pool)
    match outcome:
        case Avatar() as a:
            body = UpdatedAvatarResponse(
                id=a.id,
                owner_id=a.owner_id,
                name=a.name,
                shape=a.shape,
                palette=UpdatedPalette(
                    background=a.color_background, foreground=a.color_foreground, accent=a.color_accent
                ),
                accessories=a.accessories,
                version=a.version,
                render_url=render_url(settings.render_base, a.id),
                created_at=a.created_at,
                updated_at=a.updated_at,
            )
            return Response(body, headers={"ETag": version_etag(a.version)})
        case VersionMismatch(current_version=current):
            return problem(
                412,
                "Precondition Failed",
                "The avatar changed since you read it; read it again and retry.",
                headers={"ETag": version_etag(current)},
            )
        case AvatarNotFound():
            return problem(404, "Not Found", "No avatar of yours has this id.")
        case _:
            assert_never(outcome)


plugin = Slice(change_avatar)
