"""OPTIONS and HEAD on a kit-built app: Allow lists every method of a path, whichever slice
serves it; OPTIONS needs no token; HEAD answers like the GET, without the body."""

from __future__ import annotations

from kit_support import serving
from test_kit_problems import assert_problem


async def test_options_lists_the_methods_of_every_slice_on_the_path(make_app, unreachable_database_url):
    async with serving(make_app(unreachable_database_url)) as client:
        response = await client.options("/v1/items/7")
    assert response.status_code == 204
    assert response.headers["allow"] == "DELETE, GET, HEAD, OPTIONS"


async def test_options_needs_no_token_even_on_an_authenticated_path(make_app, unreachable_database_url):
    async with serving(make_app(unreachable_database_url)) as client:
        authenticated = await client.options("/v1/items/7")
        public = await client.options("/v1/echo")
        invalid_token = await client.options("/v1/items/7", headers={"authorization": "Bearer nope"})
    assert authenticated.status_code == 204
    assert public.status_code == 204
    assert public.headers["allow"] == "OPTIONS, POST"
    assert invalid_token.status_code == 204


async def test_a_405_lists_the_same_methods_as_options(make_app, unreachable_database_url, signing_key):
    token = signing_key.mint()
    async with serving(make_app(unreachable_database_url)) as client:
        response = await client.put("/v1/items/7", headers={"authorization": f"Bearer {token}"})
        options = await client.options("/v1/items/7")
    assert_problem(response, 405)
    assert response.headers["allow"] == options.headers["allow"]


async def test_head_answers_like_the_get_without_a_body(make_app, unreachable_database_url, signing_key):
    token = signing_key.mint()
    auth = {"authorization": f"Bearer {token}"}
    async with serving(make_app(unreachable_database_url)) as client:
        get = await client.get("/v1/open")
        head = await client.head("/v1/open")
        private_get = await client.get("/v1/items/7", headers=auth)
        private_head = await client.head("/v1/items/7", headers=auth)
        anonymous_head = await client.head("/v1/items/7")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"] != "0"
    assert head.headers["content-type"] == get.headers["content-type"]
    assert private_head.status_code == private_get.status_code == 200
    assert private_head.headers["content-length"] == private_get.headers["content-length"]
    assert private_head.content == b""
    assert anonymous_head.status_code == 401
    assert anonymous_head.content == b""


async def test_head_on_a_path_without_get_is_a_405(make_app, unreachable_database_url):
    async with serving(make_app(unreachable_database_url)) as client:
        response = await client.head("/v1/echo")
    assert response.status_code == 405
    assert response.headers["allow"] == "OPTIONS, POST"
