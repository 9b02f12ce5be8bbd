from __future__ import annotations

from types import MappingProxyType
from typing import assert_never
from uuid import UUID

from litestar import put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from avatars.drafts import Draft, DraftResponse, draft_response
from avatars.features.avatar.set_wizard_step.command import (
    SetAccessories,
    SetName,
    SetPalette,
    SetShape,
    SetWizardStep,
)
from avatars.features.avatar.set_wizard_step.handler import DraftNotFound, set_wizard_step
from avatars.features.avatar.set_wizard_step.schema import (
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
    outcome = await set_wizard_step(cmd, pool=pool, ttl_s=ttl_s)
    match outcome:
        case Draft() as draft:
            return Response(draft_response(draft))
        case DraftNotFound():
            return problem(404, "Not Found", "No live draft of yours has this id.")
        case _:
            assert_never(outcome)


@put(f"{PATH}/shape", summary="Wizard step: choose the shape.", tags=TAGS, responses=NOT_FOUND)
async def set_shape(
    draft_id: FromPath[UUID],
    data: JSONBody[SetShapeRequest],
    caller: CurrentCaller,
    pool: DbPool,
    settings: NamedDependency[AvatarsSettings],
) -> Response[DraftResponse]:
    step = SetShape(shape=data.shape)
    return await _set(step, draft_id, caller.user_id, pool, settings.avatars_draft_ttl_s)


@put(f"{PATH}/palette", summary="Wizard step: choose the colours.", tags=TAGS, responses=NOT_FOUND)
async def set_palette(
    draft_id: FromPath[UUID],
    data: JSONBody[SetPaletteRequest],
    caller: CurrentCaller,
    pool: DbPool,
    settings: NamedDependency[AvatarsSettings],
) -> Response[DraftResponse]:
    step = SetPalette(background=data.background, foreground=data.foreground, accent=data.accent)
    return await _set(step, draft_id, caller.user_id, pool, settings.avatars_draft_ttl_s)


@put(f"{PATH}/accessories", summary="Wizard step: choose accessories.", tags=TAGS, responses=NOT_FOUND)
async def set_accessories(
    draft_id: FromPath[UUID],
    data: JSONBody[SetAccessoriesRequest],
    caller: CurrentCaller,
    pool: DbPool,
    settings: NamedDependency[AvatarsSettings],
) -> Response[DraftResponse]:
    step = SetAccessories(accessories=tuple(sorted(set(data.accessories))))
    return await _set(step, draft_id, caller.user_id, pool, settings.avatars_draft_ttl_s)


@put(f"{PATH}/name", summary="Wizard step: name the avatar.", tags=TAGS, responses=NOT_FOUND)
async def set_name(
    draft_id: FromPath[UUID],
    data: JSONBody[SetNameRequest],
    caller: CurrentCaller,
    pool: DbPool,
    settings: NamedDependency[AvatarsSettings],
) -> Response[DraftResponse]:
    step = SetName(name=data.name)
    return await _set(step, draft_id, caller.user_id, pool, settings.avatars_draft_ttl_s)


plugin = Slice(set_shape, set_palette, set_accessories, set_name)
