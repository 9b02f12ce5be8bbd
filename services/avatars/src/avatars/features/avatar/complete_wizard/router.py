from __future__ import annotations

from typing import assert_never
from uuid import UUID

from litestar import post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from avatars.avatars import Avatar, render_url
from avatars.features.avatar.complete_wizard.command import CompleteWizard
from avatars.features.avatar.complete_wizard.handler import (
    AvatarCompleted,
    DraftIncomplete,
    DraftNotFound,
    complete_wizard,
)
from avatars.features.avatar.complete_wizard.schema import (
    CompletedAvatarResponse,
    CompletedPalette,
)
from avatars.preconditions import version_etag
from avatars.settings import AvatarsSettings
from fleetkit.app import Slice
from fleetkit.di import CurrentCaller, DbPool
from fleetkit.idempotency import IDEMPOTENCY_RESPONSES, IdempotencyKey, fingerprint, idempotent
from fleetkit.problems import FieldError, problem, problem_spec
from fleetkit.responses import Response


def _avatar(a: Avatar, base: str) -> CompletedAvatarResponse:
    return CompletedAvatarResponse(
        id=a.id,
        owner_id=a.owner_id,
        draft_id=a.draft_id,
        name=a.name,
        shape=a.shape,
        palette=CompletedPalette(background=a.color_background, foreground=a.color_foreground, accent=a.color_accent),
        accessories=a.accessories,
        version=a.version,
        render_url=render_url(base, a.id),
        created_at=a.created_at,
        updated_at=a.updated_at,
    )


@post(
    "/v1/avatar-drafts/{draft_id:uuid}/complete",
    tags=["avatar drafts"],
    summary="Complete the wizard: 201 with the new avatar; completing again gives it with 200.",
    status_code=201,
    responses={
        200: ResponseSpec(
            CompletedAvatarResponse,
            generate_examples=False,
            description="Completed before (this draft made this avatar): the same avatar again.",
        ),
        **IDEMPOTENCY_RESPONSES,
        404: problem_spec("No live draft of yours with this id (nor an avatar made from it)."),
        422: problem_spec("Steps still missing (named in errors), or Idempotency-Key reused."),
    },
)
async def complete(
    draft_id: FromPath[UUID],
    caller: CurrentCaller,
    pool: DbPool,
    settings: NamedDependency[AvatarsSettings],
    idempotency_key: IdempotencyKey = None,
) -> Response[CompletedAvatarResponse]:
    cmd = CompleteWizard(draft_id=draft_id, owner_id=caller.user_id)

    async def run() -> Response[CompletedAvatarResponse]:
        outcome = await complete_wizard(cmd, pool=pool)
        match outcome:
            case AvatarCompleted(avatar=avatar, created=created):
                return Response(
                    _avatar(avatar, settings.render_base),
                    status_code=201 if created else 200,
                    headers={"Location": f"/v1/avatars/{avatar.id}", "ETag": version_etag(avatar.version)},
                )
            case DraftIncomplete(missing_steps=missing):
                errors = [FieldError(step, "not set yet") for step in missing]
                detail = "Set every step first; missing: " + ", ".join(missing)
                return problem(422, "Unprocessable Content", detail, errors=errors)
            case DraftNotFound():
                return problem(404, "Not Found", "No live draft of yours has this id.")
            case _:
                assert_never(outcome)

    return await idempotent(
        pool,
        owner_id=caller.user_id,
        key=idempotency_key,
        request=fingerprint("POST", f"/v1/avatar-drafts/{draft_id}/complete"),
        ttl_s=settings.avatars_idempotency_ttl_s,
        produce=run,
    )


plugin = Slice(complete)
