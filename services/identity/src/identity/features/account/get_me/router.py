from __future__ import annotations

from typing import assert_never

from litestar import get

from fleetkit.app import Slice
from fleetkit.di import CurrentCaller, DbPool
from fleetkit.problems import problem, problem_spec
from fleetkit.responses import Response
from identity.accounts import Account
from identity.features.account.get_me.command import GetMe
from identity.features.account.get_me.handler import AccountGone, get_me
from identity.features.account.get_me.schema import MeResponse


@get(
    "/v1/me",
    tags=["accounts"],
    summary="The caller's account.",
    responses={404: problem_spec("Account deleted.")},
)
async def me(caller: CurrentCaller, pool: DbPool) -> Response[MeResponse]:
    outcome = await get_me(GetMe(account_id=caller.user_id), pool=pool)
    match outcome:
        case Account() as account:
            return Response(MeResponse(id=account.id, email=account.email, created_at=account.created_at))
        case AccountGone():
            return problem(404, "Not Found", "The account no longer exists.")
        case _:
            assert_never(outcome)


plugin = Slice(me)
