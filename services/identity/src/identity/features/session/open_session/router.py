from __future__ import annotations

from typing import assert_never

from litestar import post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from fleetkit.app import Slice
from fleetkit.di import DbPool
from fleetkit.policy import CREDENTIALS
from fleetkit.problems import problem, problem_spec
from fleetkit.ratelimit import retry_after
from fleetkit.responses import Response
from identity.features.session.open_session.command import OpenSession
from identity.features.session.open_session.handler import BadCredentials, Held, LoginLimits, open_session
from identity.features.session.open_session.schema import LoginRequest, TokenPairResponse
from identity.passwords import Passwords
from identity.sessions import SessionTokens
from identity.settings import IdentitySettings
from identity.tokens import KeyRing


@post(
    "/v1/sessions",
    opt=CREDENTIALS.opt(),
    status_code=200,
    tags=["sessions"],
    summary="Log in with e-mail and password; returns an access and a refresh token.",
    responses={
        401: problem_spec("Unknown e-mail or wrong password (indistinguishable)."),
        429: problem_spec(
            "Too many attempts for this e-mail (known or not) or from this address; retry after Retry-After."
        ),
    },
)
async def login(
    data: JSONBody[LoginRequest],
    pool: DbPool,
    passwords: NamedDependency[Passwords],
    keyring: NamedDependency[KeyRing],
    settings: NamedDependency[IdentitySettings],
) -> Response[TokenPairResponse]:
    outcome = await open_session(
        OpenSession(email=data.email, password=data.password),
        pool=pool,
        passwords=passwords,
        keyring=keyring,
        refresh_ttl_s=settings.identity_refresh_token_ttl_s,
        limits=LoginLimits(
            budget=settings.identity_login_budget,
            window_s=settings.identity_login_window_s,
            backoff_s=settings.identity_login_backoff_s,
        ),
    )
    match outcome:
        case SessionTokens() as tokens:
            pair = TokenPairResponse(
                access_token=tokens.access_token, refresh_token=tokens.refresh_token, expires_in=tokens.expires_in
            )
            return Response(pair, status_code=200)
        case BadCredentials():
            return problem(401, "Unauthorized", "E-mail or password is incorrect.")
        case Held() as held:
            return problem(
                429,
                "Too Many Requests",
                "Too many login attempts for this account; retry after the given delay.",
                headers={"Retry-After": retry_after(held.retry_after_s)},
            )
        case _:
            assert_never(outcome)


plugin = Slice(login)
