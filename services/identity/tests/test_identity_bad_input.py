"""Every identity endpoint answers bad input with a 4xx problem+json naming the field, never 5xx."""

from __future__ import annotations

import json

import pytest

PASSWORD = "correct horse battery"
PROBLEM = "application/problem+json"
TOKEN = "t" * 43

ENDPOINTS = {
    "register": ("/v1/accounts", {"email": "alice@example.com", "password": PASSWORD}),
    "login": ("/v1/sessions", {"email": "alice@example.com", "password": PASSWORD}),
    "refresh": ("/v1/sessions/refresh", {"refresh_token": TOKEN}),
    "logout": ("/v1/sessions/logout", {"refresh_token": TOKEN}),
}


def _field_cases():
    for name, (_, valid) in ENDPOINTS.items():
        for field in valid:
            yield pytest.param(name, {**valid, field: 12345}, field, id=f"{name}-{field}-int")
            yield pytest.param(name, {**valid, field: None}, field, id=f"{name}-{field}-null")
            yield pytest.param(name, {**valid, field: ["x"]}, field, id=f"{name}-{field}-list")
            yield pytest.param(name, {**valid, field: "x" * 10_000}, field, id=f"{name}-{field}-oversize")
            missing = {k: v for k, v in valid.items() if k != field}
            yield pytest.param(name, missing, field, id=f"{name}-{field}-missing")
        yield pytest.param(name, {**valid, "user_id": "x"}, "user_id", id=f"{name}-unknown-field")


@pytest.fixture
def headers_for(register, log_in):
    """A valid bearer token for logout (so its body is what gets checked); none elsewhere."""

    async def make(endpoint: str) -> dict[str, str]:
        if endpoint != "logout":
            return {}
        await register("caller@example.com")
        session = await log_in("caller@example.com")
        return {"authorization": f"Bearer {session.access_token}"}

    return make


def assert_problem_4xx(response) -> dict:
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == PROBLEM
    return response.json()


@pytest.mark.parametrize(("endpoint", "body", "field"), _field_cases())
async def test_a_bad_field_is_a_4xx_problem_naming_it(client, headers_for, endpoint, body, field):
    path, _ = ENDPOINTS[endpoint]
    headers = await headers_for(endpoint)
    response = await client.post(path, json=body, headers=headers)
    problem = assert_problem_4xx(response)
    assert field in problem["detail"]


RAW_BODIES = {
    "malformed-json": (b'{"email": ', "application/json"),
    "empty-body": (b"", "application/json"),
    "json-array": (b"[]", "application/json"),
    "json-string": (b'"hello"', "application/json"),
    "not-utf8": (b"\xff\xfe\xfd", "application/json"),
    "deeply-nested": (b"[" * 10_000 + b"]" * 10_000, "application/json"),
}


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
@pytest.mark.parametrize("case", sorted(RAW_BODIES))
async def test_a_body_that_is_not_the_expected_json_object_is_a_4xx_problem(client, headers_for, endpoint, case):
    path, _ = ENDPOINTS[endpoint]
    headers = await headers_for(endpoint)
    content, content_type = RAW_BODIES[case]
    response = await client.post(path, content=content, headers={**headers, "content-type": content_type})
    assert_problem_4xx(response)


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
async def test_a_non_json_content_type_is_a_4xx_problem(client, headers_for, endpoint, content_type):
    path, valid = ENDPOINTS[endpoint]
    headers = await headers_for(endpoint)
    body = "&".join(f"{k}={v}" for k, v in valid.items()).encode()
    response = await client.post(path, content=body, headers={**headers, "content-type": content_type})
    assert_problem_4xx(response)


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
async def test_a_body_over_the_size_limit_is_a_413_problem(client, headers_for, endpoint):
    path, _ = ENDPOINTS[endpoint]
    headers = await headers_for(endpoint)
    response = await client.post(path, json={"pad": "x" * 70_000}, headers=headers)
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(
    "authorization", ["Bearer", "Bearer ", "Basic dXNlcjpwdw==", "Bearer a.b.c", "Bearer " + "x" * 5000]
)
async def test_a_bad_authorization_header_on_me_is_a_401_problem(client, authorization):
    response = await client.get("/v1/me", headers={"authorization": authorization})
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM


async def test_the_jwks_ignores_query_strings_and_never_fails(client):
    response = await client.get("/.well-known/jwks.json?kid=%00&x[]=1")
    assert response.status_code == 200


async def test_valid_json_sent_as_text_plain_is_refused_with_a_4xx_problem(client):
    """Register would answer 201 to this body, so only the content type can make it fail."""
    path, valid = ENDPOINTS["register"]
    response = await client.post(path, content=json.dumps(valid).encode(), headers={"content-type": "text/plain"})
    assert response.status_code in (400, 415)
    assert response.headers["content-type"] == PROBLEM


async def test_an_empty_post_with_a_form_content_type_is_not_refused_for_its_media_type(client):
    """Content-Length: 0 means no body, so there is no media type to refuse (urllib sends a form type)."""
    response = await client.post(
        "/v1/accounts", content=b"", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 400  # the missing body is named; not a 415 for a body never sent
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_form_body_is_refused_with_415(client):
    response = await client.post(
        "/v1/accounts", content=b"email=a%40b.cd", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"
