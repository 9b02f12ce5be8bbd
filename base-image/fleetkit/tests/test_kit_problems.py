"""Problem details: every error answer of a kit-built app is RFC 9457 problem+json."""

from __future__ import annotations

import pytest
from kit_support import serving

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    return body


async def test_an_unknown_path_is_a_404_problem(make_app, unreachable_database_url):
    async with serving(make_app(unreachable_database_url)) as client:
        assert_problem(await client.get("/v1/nowhere"), 404)


async def test_a_wrong_method_is_a_405_problem(make_app, unreachable_database_url):
    async with serving(make_app(unreachable_database_url)) as client:
        assert_problem(await client.delete("/v1/open"), 405)


async def test_a_body_over_max_body_bytes_is_a_413_problem(make_app, unreachable_database_url):
    app = make_app(unreachable_database_url, max_body_bytes=2048)
    async with serving(app) as client:
        small = await client.post("/v1/echo", json={"x": "a" * 100})
        assert small.status_code == 201
        big = await client.post("/v1/echo", json={"x": "a" * 4096})
        assert_problem(big, 413)


async def test_an_unhandled_error_is_a_500_problem_without_internals(make_app, unreachable_database_url):
    async with serving(make_app(unreachable_database_url)) as client:
        response = await client.get("/v1/boom")
    body = assert_problem(response, 500)
    text = response.text
    for leak in ("hunter2", "secret.py", "RuntimeError", "Traceback", "internal detail"):
        assert leak not in text
    assert set(body) <= {"type", "title", "status"}


async def test_an_unreachable_database_is_a_503_problem_with_retry_after(make_app, unreachable_database_url):
    async with serving(make_app(unreachable_database_url)) as client:
        response = await client.get("/v1/widgets/count")
    assert_problem(response, 503)
    assert int(response.headers["retry-after"]) >= 1


async def test_a_statement_timeout_is_a_503_problem_with_retry_after(make_app, database_url):
    app = make_app(database_url, db_statement_timeout_ms=50)
    async with serving(app) as client:
        response = await client.get("/v1/slow-query")
    assert_problem(response, 503)
    assert int(response.headers["retry-after"]) >= 1


async def test_a_client_side_command_timeout_is_a_503_problem(make_app, database_url):
    app = make_app(database_url, db_command_timeout_s=0.1)
    async with serving(app) as client:
        response = await client.get("/v1/slow-query")
    assert_problem(response, 503)
    assert "retry-after" in response.headers


async def test_a_working_database_answers_normally(make_app, database_url):
    async with serving(make_app(database_url)) as client:
        response = await client.get("/v1/widgets/count")
    assert response.status_code == 200
    assert response.json() == {"count": 0}


@pytest.mark.parametrize("content", [b'{"x": ', b"", b"[1, 2]", b"\xff\xfe"])
async def test_a_body_that_does_not_decode_is_a_400_problem(make_app, unreachable_database_url, content):
    async with serving(make_app(unreachable_database_url)) as client:
        response = await client.post("/v1/echo", content=content, headers={"content-type": "application/json"})
    body = assert_problem(response, 400)
    assert body["detail"]


async def test_a_bad_path_parameter_is_a_400_problem_naming_it(make_app, unreachable_database_url, signing_key):
    token = signing_key.mint()
    async with serving(make_app(unreachable_database_url)) as client:
        response = await client.get("/v1/items/not-a-number", headers={"authorization": f"Bearer {token}"})
    assert response.status_code in (400, 404)
    assert response.headers["content-type"] == PROBLEM


async def test_a_missing_bearer_token_is_a_401_problem_with_a_challenge(make_app, unreachable_database_url):
    async with serving(make_app(unreachable_database_url)) as client:
        response = await client.get("/v1/items/1")
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_an_invalid_bearer_token_is_a_401_problem_naming_invalid_token(make_app, unreachable_database_url):
    async with serving(make_app(unreachable_database_url)) as client:
        response = await client.get("/v1/items/1", headers={"authorization": "Bearer nope"})
    assert_problem(response, 401)
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_a_valid_bearer_token_reaches_the_route_with_its_caller(make_app, unreachable_database_url, signing_key):
    claims = signing_key.claims()
    token = signing_key.mint(sub=claims["sub"])
    async with serving(make_app(unreachable_database_url)) as client:
        response = await client.get("/v1/items/7", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json() == {"item": "7", "user": claims["sub"]}


@pytest.mark.parametrize("content", [b'{"x": "a\xffb"}', b'{"x": "\xc3"}', b'{"\xed\xa0\x80": 1}'])
async def test_invalid_utf8_inside_a_json_string_is_a_400_problem_saying_so(
    make_app, unreachable_database_url, content
):
    async with serving(make_app(unreachable_database_url)) as client:
        response = await client.post("/v1/echo", content=content, headers={"content-type": "application/json"})
    body = assert_problem(response, 400)
    assert "UTF-8" in body["detail"]


async def test_a_413_tells_the_client_the_connection_closes(make_app, unreachable_database_url):
    app = make_app(unreachable_database_url, max_body_bytes=2048)
    async with serving(app) as client:
        big = await client.post("/v1/echo", json={"x": "a" * 4096})
    assert_problem(big, 413)
    assert big.headers["connection"] == "close"


def test_every_dependency_fault_is_an_exception_the_kit_answers_503():
    """A fault listed but never handled (a BaseException such as CancelledError) is dead weight."""
    from fleetkit.problems import DEPENDENCY_FAULTS, exception_handlers

    handlers = exception_handlers()
    assert [f for f in DEPENDENCY_FAULTS if not issubclass(f, Exception) or f not in handlers] == []
