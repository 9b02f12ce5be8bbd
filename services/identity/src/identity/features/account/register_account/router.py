from __future__ import annotations

from typing import assert_never

from litestar import post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from fleetkit.app import Slice
from fleetkit.di import DbPool
from fleetkit.policy import CREDENTIALS
from fleetkit.problems import FieldError, problem, problem_spec
from fleetkit.responses import Response
from identity.accounts import Account
from identity.features.account.register_account.command import RegisterAccount
from identity.features.account.register_account.handler import EmailTaken, WeakPassword, register_account
from identity.features.account.register_account.schema import (
    RegisterAccountRequest,
    RegisterAccountResponse,
)
from identity.passwords import Passwords


@post(
    "/v1/accounts",
    opt=CREDENTIALS.opt(),
    tags=["accounts"],
    summary="Register an account.",
    responses={
        409: problem_spec("The e-mail is already registered."),
        422: problem_spec(
            "Password too weak: fewer than 4 distinct characters, very common, or containing the e-mail's local part."
        ),
    },
)
async def register(
    data: JSONBody[RegisterAccountRequest], pool: DbPool, passwords: NamedDependency[Passwords]
) -> Response[RegisterAccountResponse]:
    outcome = await register_account(
        RegisterAccount(email=data.email, password=data.password), pool=pool, passwords=passwords
    )
    match outcome:
        case Account() as account:
            created = RegisterAccountResponse(id=account.id, email=account.email, created_at=account.created_at)
            return Response(created, status_code=201)
        case EmailTaken():
            return problem(409, "Conflict", "An account with this e-mail already exists.")
        case WeakPassword() as weak:
            return problem(422, "Unprocessable Content", weak.reason, errors=[FieldError("password", weak.reason)])
        case _:
            assert_never(outcome)


plugin = Slice(register)
