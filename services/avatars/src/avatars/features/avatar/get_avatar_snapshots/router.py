from __future__ import annotations

from litestar import post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from avatars.avatars import render_url
from avatars.features.avatar.get_avatar_snapshots.command import GetAvatarSnapshots
from avatars.features.avatar.get_avatar_snapshots.handler import get_avatar_snapshots
from avatars.features.avatar.get_avatar_snapshots.schema import (
    AvatarSnapshot,
    BatchGetAvatarsRequest,
    BatchGetAvatarsResponse,
)
from avatars.settings import AvatarsSettings
from fleetkit.app import Slice
from fleetkit.di import DbPool
from fleetkit.responses import Response


@post(
    "/v1/avatars/batch-get",
    tags=["avatars"],
    summary="Snapshots of up to 100 avatars (any valid token); unknown ids are absent.",
    status_code=200,
)
async def batch_get(
    data: JSONBody[BatchGetAvatarsRequest],
    pool: DbPool,
    settings: NamedDependency[AvatarsSettings],
) -> Response[BatchGetAvatarsResponse]:
    cmd = GetAvatarSnapshots(ids=tuple(dict.fromkeys(data.ids)))
    snapshots = await get_avatar_snapshots(cmd, pool=pool)
    base = settings.render_base
    avatars = [
        AvatarSnapshot(
            id=s.id, owner_id=s.owner_id, name=s.name, render_url=render_url(base, s.id), updated_at=s.updated_at
        )
        for s in snapshots
    ]
    return Response(BatchGetAvatarsResponse(avatars=avatars))


plugin = Slice(batch_get)
