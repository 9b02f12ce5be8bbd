from __future__ import annotations

from types import MappingProxyType
from uuid import UUID

from litestar import put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from avatars.features.avatar.set_wizard_step.command import (
    SetAccessories,
    SetName,
    SetPalette,
    SetShape,
    SetWizardStep,
)
from avatars.features.avatar.set_wizard_step.handler import DraftNotFound, set_wizard_step
from avatars.features.avatar.set_wizard_step.schema import (
    DraftPalette,
    DraftResponse,
    SetAccessoriesRequest,
    SetNameRequest,
    SetPaletteRequest,
    SetShapeRequest,
)
from avatars.settings import AvatarsSettings
from fleetkit.app import Slice
from fleetkit.di import CurrentCaller, DbPool
from fleetkit.problems import problem, problem_spec
from fleetkit.responses import Response

PATH = "/v1/avatar-drafts/{draft_id:uuid}"
TAGS = ("avatar drafts",)
NOT_FOUND = MappingProxyType({404: problem_spec("No live draft of yours with this id.")})
Step = SetShape | SetPalette | SetAccessories | SetName


async def _set(step: Step, draft_id: UUID, caller_id: UUID, pool: DbPool, ttl_s: int) -> Response[DraftResponse]:
    cmd = SetWizardStep(draft_id=draft_id, owner_id=caller_id, step=step)
    d = await set_wizard_step(cmd, pool=pool, ttl_s=ttl_s)
    if isinstance(d, DraftNotFound):
        return problem(404, "Not Found", "No live draft of yours has this id.")
    palette = None
    if d.color_background and d.color_foreground and d.color_accent:
        palette = DraftPalette(d.color_background, d.color_foreground, d.color_accent)
    return Response(
        DraftResponse(
            d.id,
            d.shape,
            palette,
            d.accessories,
            d.name,
            d.missing_steps,
            d.created_at,
            d.updated_at,
            d.expires_at,
        )
    )


@put(f"{PATH}/shape", summary="Wizard step: choose the shape.", tags=TAGS, responses=NOT_FOUND)
async def set_shape(
    draft_id: FromPath[UUID],
    data: JSONBody[SetShapeRequest],
    caller: CurrentCaller,
    pool: DbPool,
    settings: NamedDependency[AvatarsSettings],
) -> Response[DraftResponse]:
    step = SetShape(data.shape)
    return await _set(step, draft_id, caller.user_id, pool, settings.avatars_draft_ttl_s)


@put(f"{PATH}/palette", summary="Wizard step: choose the colours.", tags=TAGS, responses=NOT_FOUND)
async def set_palette(
    draft_id: FromPath[UUID],
    data: JSONBody[SetPaletteRequest],
    caller: CurrentCaller,
    pool: DbPool,
    settings: NamedDependency[AvatarsSettings],
) -> Response[DraftResponse]:
    step = SetPalette(data.background, data.foreground, data.accent)
    return await _set(step, draft_id, caller.user_id, pool, settings.avatars_draft_ttl_s)


@put(f"{PATH}/accessories", summary="Wizard step: choose accessories.", tags=TAGS, responses=NOT_FOUND)
async def set_accessories(
    draft_id: FromPath[UUID],
    data: JSONBody[SetAccessoriesRequest],
    caller: CurrentCaller,
    pool: DbPool,
    settings: NamedDependency[AvatarsSettings],
) -> Response[DraftResponse]:
    step = SetAccessories(tuple(data.accessories))
    return await _set(step, draft_id, caller.user_id, pool, settings.avatars_draft_ttl_s)


@put(f"{PATH}/name", summary="Wizard step: name the avatar.", tags=TAGS, responses=NOT_FOUND)
async def set_name(
    draft_id: FromPath[UUID],
    data: JSONBody[SetNameRequest],
    caller: CurrentCaller,
    pool: DbPool,
    settings: NamedDependency[AvatarsSettings],
) -> Response[DraftResponse]:
    step = SetName(data.name)
    return await _set(step, draft_id, caller.user_id, pool, settings.avatars_draft_ttl_s)


plugin = Slice(set_shape, set_palette, set_accessories, set_name)
