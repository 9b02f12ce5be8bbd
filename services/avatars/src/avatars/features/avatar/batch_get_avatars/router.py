from __future__ import annotations

from litestar import post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from avatars.features.avatar.batch_get_avatars.command import BatchGetAvatars
from avatars.features.avatar.batch_get_avatars.handler import batch_get_avatars
from avatars.features.avatar.batch_get_avatars.schema import (
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
    cmd = BatchGetAvatars(ids=tuple(dict.fromkeys(data.ids)))
    snapshots = await batch_get_avatars(cmd, pool=pool)
    base = f"{settings.render_base}/v1/avatars"
    return Response(
        BatchGetAvatarsResponse(
            avatars=[AvatarSnapshot(s.id, s.owner_id, s.name, f"{base}/{s.id}.svg", s.updated_at) for s in snapshots]
        )
    )


plugin = Slice(batch_get)
