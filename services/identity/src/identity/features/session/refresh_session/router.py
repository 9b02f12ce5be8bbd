from __future__ import annotations

from typing import assert_never

from litestar import post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from fleetkit.app import Slice
from fleetkit.di import DbPool
from fleetkit.policy import CREDENTIALS
from fleetkit.problems import problem, problem_spec
from fleetkit.responses import Response
from identity.features.session.refresh_session.command import RefreshSession
from identity.features.session.refresh_session.handler import RefreshRejected, refresh_session
from identity.features.session.refresh_session.schema import RefreshedTokensResponse, RefreshSessionRequest
from identity.sessions import SessionTokens
from identity.settings import IdentitySettings
from identity.tokens import KeyRing


@post(
    "/v1/sessions/refresh",
    opt=CREDENTIALS.opt(),
    status_code=200,
    tags=["sessions"],
    summary="Trade a refresh token for a new token pair (the old refresh token stops working).",
    responses={401: problem_spec("Unknown, expired, revoked or reused refresh token.")},
)
async def refresh(
    data: JSONBody[RefreshSessionRequest],
    pool: DbPool,
    keyring: NamedDependency[KeyRing],
    settings: NamedDependency[IdentitySettings],
) -> Response[RefreshedTokensResponse]:
    outcome = await refresh_session(
        RefreshSession(refresh_token=data.refresh_token),
        pool=pool,
        keyring=keyring,
        refresh_ttl_s=settings.identity_refresh_token_ttl_s,
        reuse_leeway_s=settings.identity_refresh_reuse_leeway_s,
    )
    match outcome:
        case SessionTokens() as tokens:
            pair = RefreshedTokensResponse(
                access_token=tokens.access_token, refresh_token=tokens.refresh_token, expires_in=tokens.expires_in
            )
            return Response(pair, status_code=200)
        case RefreshRejected():
            return problem(401, "Unauthorized", "The refresh token is not valid; log in again.")
        case _:
            assert_never(outcome)


plugin = Slice(refresh)
