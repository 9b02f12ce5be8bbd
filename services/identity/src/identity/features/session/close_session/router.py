from __future__ import annotations

from litestar import post
from litestar.params import JSONBody

from fleetkit.app import Slice
from fleetkit.di import CurrentCaller, DbPool
from fleetkit.responses import Response
from identity.features.session.close_session.command import CloseSession
from identity.features.session.close_session.handler import close_session
from identity.features.session.close_session.schema import LogoutRequest


@post(
    "/v1/sessions/logout",
    tags=["sessions"],
    summary="Log out: the refresh token's session ends.",
    status_code=204,
)
async def logout(data: JSONBody[LogoutRequest], caller: CurrentCaller, pool: DbPool) -> Response[None]:
    await close_session(CloseSession(refresh_token=data.refresh_token, account_id=caller.user_id), pool=pool)
    return Response(None, status_code=204)


plugin = Slice(logout)
