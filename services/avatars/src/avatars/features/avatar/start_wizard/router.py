from __future__ import annotations

import msgspec
from litestar import post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from avatars.drafts import DraftResponse, draft_response
from avatars.features.avatar.start_wizard.command import StartWizard
from avatars.features.avatar.start_wizard.handler import start_wizard
from avatars.features.avatar.start_wizard.schema import StartWizardRequest
from avatars.settings import AvatarsSettings
from fleetkit.app import Slice
from fleetkit.di import CurrentCaller, DbPool
from fleetkit.idempotency import IDEMPOTENCY_RESPONSES, IdempotencyKey, fingerprint, idempotent
from fleetkit.responses import Response

PATH = "/v1/avatar-drafts"


@post(
    PATH,
    tags=["avatar drafts"],
    summary="Start the avatar wizard: a private draft, optionally pre-filled.",
    responses=IDEMPOTENCY_RESPONSES,
)
async def start_draft(
    data: JSONBody[StartWizardRequest],
    caller: CurrentCaller,
    pool: DbPool,
    settings: NamedDependency[AvatarsSettings],
    idempotency_key: IdempotencyKey = None,
) -> Response[DraftResponse]:
    palette = data.palette
    cmd = StartWizard(
        owner_id=caller.user_id,
        shape=data.shape,
        palette=None if palette is None else (palette.background, palette.foreground, palette.accent),
        accessories=None if data.accessories is None else tuple(sorted(set(data.accessories))),
        name=data.name,
    )

    canonical = (
        data if data.accessories is None else msgspec.structs.replace(data, accessories=list(cmd.accessories or ()))
    )

    async def run() -> Response[DraftResponse]:
        draft = await start_wizard(cmd, pool=pool, ttl_s=settings.avatars_draft_ttl_s)
        return Response(draft_response(draft), status_code=201, headers={"Location": f"{PATH}/{draft.id}"})

    return await idempotent(
        pool,
        owner_id=caller.user_id,
        key=idempotency_key,
        # The body as understood: accessories are a set (the same bytes the frozenset type gave).
        request=fingerprint("POST", PATH, canonical),
        ttl_s=settings.avatars_idempotency_ttl_s,
        produce=run,
    )


plugin = Slice(start_draft)
