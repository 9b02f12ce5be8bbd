from __future__ import annotations

from litestar import post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from fleetkit.app import Slice
from fleetkit.di import DbPool
from fleetkit.policy import CREDENTIALS
from fleetkit.problems import problem, problem_spec
from fleetkit.ratelimit import retry_after
from fleetkit.responses import Response
from identity.features.session.login.command import LogIn
from identity.features.session.login.handler import BadCredentials, Held, LoginLimits, log_in
from identity.features.session.login.schema import LoginRequest, TokenPairResponse
from identity.passwords import Passwords
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
    outcome = await log_in(
        LogIn(email=data.email, password=data.password),
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
    if isinstance(outcome, BadCredentials):
        return problem(401, "Unauthorized", "E-mail or password is incorrect.")
    if isinstance(outcome, Held):
        return problem(
            429,
            "Too Many Requests",
            "Too many login attempts for this account; retry after the given delay.",
            headers={"Retry-After": retry_after(outcome.retry_after_s)},
        )
    return Response(
        TokenPairResponse(outcome.access_token, outcome.refresh_token, outcome.expires_in),
        status_code=200,
    )


plugin = Slice(login)
