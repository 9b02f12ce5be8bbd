from __future__ import annotations

from uuid import UUID

from litestar import post
from litestar.di import NamedDependency
from litestar.params import FromPath

from avatars.features.avatar.complete_wizard.command import CompleteWizard
from avatars.features.avatar.complete_wizard.handler import (
    CompletedAvatar,
    DraftIncomplete,
    DraftNotFound,
    complete_wizard,
)
from avatars.features.avatar.complete_wizard.schema import (
    CompletedAvatarResponse,
    CompletedPalette,
)
from avatars.idempotency import IDEMPOTENCY_RESPONSES, IdempotencyKey, fingerprint, idempotent
from avatars.preconditions import version_etag
from avatars.settings import AvatarsSettings
from fleetkit.app import Slice
from fleetkit.di import CurrentCaller, DbPool
from fleetkit.problems import FieldError, problem, problem_spec
from fleetkit.responses import Response


def _avatar(a: CompletedAvatar, base: str) -> CompletedAvatarResponse:
    return CompletedAvatarResponse(
        a.id,
        a.owner_id,
        a.draft_id,
        a.name,
        a.shape,
        CompletedPalette(a.color_background, a.color_foreground, a.color_accent),
        a.accessories,
        a.version,
        f"{base}/v1/avatars/{a.id}.svg",
        a.created_at,
        a.updated_at,
    )


@post(
    "/v1/avatar-drafts/{draft_id:uuid}/complete",
    tags=["avatar drafts"],
    summary="Complete the wizard: 201 with the new avatar; completing again gives it with 200.",
    status_code=201,
    responses={
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
        if isinstance(outcome, DraftNotFound):
            return problem(404, "Not Found", "No live draft of yours has this id.")
        if isinstance(outcome, DraftIncomplete):
            errors = [FieldError(step, "not set yet") for step in outcome.missing_steps]
            detail = "Set every step first; missing: " + ", ".join(outcome.missing_steps)
            return problem(422, "Unprocessable Content", detail, errors=errors)
        avatar = outcome.avatar
        return Response(
            _avatar(avatar, settings.render_base),
            status_code=201 if outcome.created else 200,
            headers={"Location": f"/v1/avatars/{avatar.id}", "ETag": version_etag(avatar.version)},
        )

    return await idempotent(
        pool,
        owner_id=caller.user_id,
        key=idempotency_key,
        request=fingerprint("POST", f"/v1/avatar-drafts/{draft_id}/complete"),
        ttl_s=settings.avatars_idempotency_ttl_s,
        produce=run,
    )


plugin = Slice(complete)
