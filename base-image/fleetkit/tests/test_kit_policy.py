"""Route policies: typed values on the route; the untyped keys they replaced fail the build."""

from __future__ import annotations

import pytest
from kit_support import serving
from litestar import Litestar, Router, get

from fleetkit.app import Slice, check_route_policies
from fleetkit.policy import (
    AUTHENTICATED,
    CREDENTIALS,
    POLICY_KEY,
    PROBE,
    PUBLIC,
    Access,
    RateClass,
    RoutePolicyError,
    policy_of,
)


def test_a_route_that_declares_nothing_is_authenticated_with_the_default_rate_class():
    assert policy_of({}, "GET /x") == AUTHENTICATED
    assert (AUTHENTICATED.access, AUTHENTICATED.rate) == (Access.AUTHENTICATED, RateClass.DEFAULT)


def test_the_named_policies_say_who_may_call_and_how_they_are_limited():
    assert (PUBLIC.public, PUBLIC.rate) == (True, RateClass.DEFAULT)
    assert (CREDENTIALS.public, CREDENTIALS.rate) == (True, RateClass.STRICT)
    assert (PROBE.public, PROBE.rate) == (True, RateClass.OFF)
    assert policy_of(CREDENTIALS.opt(), "POST /x") is CREDENTIALS


@pytest.mark.parametrize("opt", [{"public": True}, {"rate_limit": "strict"}, {**PUBLIC.opt(), "public": True}])
def test_a_slice_with_an_untyped_policy_key_fails_naming_the_route(opt):
    @get("/v1/legacy", opt=opt, sync_to_thread=False)
    def legacy() -> None: ...

    with pytest.raises(RoutePolicyError, match=r"GET /v1/legacy \(.*legacy\).*fleetkit\.policy"):
        Slice(legacy)


def test_an_app_whose_router_carries_an_untyped_key_fails_naming_the_route():
    @get("/things", sync_to_thread=False)
    def things() -> None: ...

    app = Litestar([Router("/v1", route_handlers=[things], opt={"public": True})])
    with pytest.raises(RoutePolicyError, match=r"route [A-Z,]+ /v1/things .*'public'"):
        check_route_policies(app)


def test_anything_but_a_route_policy_under_the_policy_key_fails():
    @get("/v1/stringly", opt={POLICY_KEY: "public"}, sync_to_thread=False)
    def stringly() -> None: ...

    with pytest.raises(RoutePolicyError, match=r"GET /v1/stringly .*must be a fleetkit\.policy\.RoutePolicy"):
        Slice(stringly)


async def test_public_routes_answer_without_a_token_and_others_do_not(make_app, unreachable_database_url):
    async with serving(make_app(unreachable_database_url)) as client:
        assert (await client.get("/v1/open")).status_code == 200
        assert (await client.post("/v1/credentials")).status_code == 201
        assert (await client.get("/v1/items/1")).status_code == 401
