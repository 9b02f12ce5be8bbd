from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from avatars.avatars import render_url
from avatars.features.avatar.list_my_avatars.command import ListMyAvatars
from avatars.features.avatar.list_my_avatars.handler import list_my_avatars
from avatars.features.avatar.list_my_avatars.schema import (
    DEFAULT_PAGE,
    MAX_PAGE,
    MyAvatarItem,
    MyAvatarsPage,
)
from avatars.settings import AvatarsSettings
from fleetkit.app import Slice
from fleetkit.di import CurrentCaller, DbPool
from fleetkit.responses import Response


@get(
    "/v1/me/avatars",
    tags=["avatars"],
    summary="The caller's avatars, oldest first; follow next_after for the next page.",
)
async def my_avatars(
    caller: CurrentCaller,
    pool: DbPool,
    settings: NamedDependency[AvatarsSettings],
    after: Annotated[UUID | None, QueryParameter(name="after", description="Last id of the previous page.")] = None,
    limit: Annotated[int, QueryParameter(name="limit", ge=1, le=MAX_PAGE, description="Page size.")] = DEFAULT_PAGE,
) -> Response[MyAvatarsPage]:
    page = await list_my_avatars(ListMyAvatars(owner_id=caller.user_id, limit=limit, after=after), pool=pool)
    base = settings.render_base
    items = [
        MyAvatarItem(
            id=a.id, name=a.name, version=a.version, render_url=render_url(base, a.id), updated_at=a.updated_at
        )
        for a in page.avatars
    ]
    return Response(MyAvatarsPage(avatars=items, next_after=page.next_after))


plugin = Slice(my_avatars)
