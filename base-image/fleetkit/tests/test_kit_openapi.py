"""The OpenAPI document of a kit-built app tells the truth: security per route, problem examples
with their real status, the probes' 503, and docs pages with pinned scripts that say they need the
network."""

from __future__ import annotations

import re

from kit_support import serving

from fleetkit.openapi import BEARER, SCALAR_VERSION, SWAGGER_VERSION

PROBLEM = "application/problem+json"


async def _document(client) -> dict:
    response = await client.get("/docs/openapi.json")
    assert response.status_code == 200
    return response.json()


async def test_bearer_security_on_authenticated_routes_and_none_on_public_ones(make_app, unreachable_database_url):
    async with serving(make_app(unreachable_database_url)) as client:
        document = await _document(client)
    scheme = document["components"]["securitySchemes"][BEARER]
    assert scheme["type"] == "http"
    assert scheme["scheme"] == "bearer"
    assert "security" not in document  # no global requirement: each route says its own
    paths = document["paths"]
    assert paths["/v1/items/{item_id}"]["get"]["security"] == [{BEARER: []}]
    assert paths["/v1/items/{item_id}"]["delete"]["security"] == [{BEARER: []}]
    for path, method in (("/v1/open", "get"), ("/v1/echo", "post"), ("/readyz", "get"), ("/livez", "get")):
        assert "security" not in paths[path][method], (path, method)


async def test_every_problem_example_has_the_status_it_is_documented_under(make_app, unreachable_database_url):
    async with serving(make_app(unreachable_database_url)) as client:
        document = await _document(client)
    seen = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                content = response.get("content", {}).get(PROBLEM)
                if content is None:
                    continue
                examples = content.get("examples") or {}
                assert examples, (path, method, status)
                for example in examples.values():
                    assert example["value"]["status"] == int(status), (path, method, status, example)
                    seen += 1
    assert seen > 10
    problem = document["components"]["schemas"]["Problem"]
    assert problem["properties"]["status"]["minimum"] == 400
    assert problem["properties"]["status"]["maximum"] == 599
    assert "examples" not in problem  # no random examples (status 4966) any more


async def test_the_probes_document_their_503(make_app, unreachable_database_url):
    async with serving(make_app(unreachable_database_url)) as client:
        document = await _document(client)
        ready = await client.get("/readyz")  # the database is unreachable: not ready
    for probe in ("/readyz", "/startupz"):
        responses = document["paths"][probe]["get"]["responses"]
        assert PROBLEM in responses["503"]["content"], probe
    assert ready.status_code == 503


async def test_the_docs_pages_pin_their_scripts_and_say_they_need_the_network(make_app, unreachable_database_url):
    async with serving(make_app(unreachable_database_url)) as client:
        scalar = await client.get("/docs")
        swagger = await client.get("/docs/swagger")
    assert scalar.status_code == swagger.status_code == 200
    for page, version in ((scalar.text, SCALAR_VERSION), (swagger.text, SWAGGER_VERSION)):
        scripts = re.findall(r'<script[^>]+src="([^"]+)"', page)
        assert scripts, page
        for src in scripts:
            assert f"@{version}" in src, src
        assert "@main" not in page
        assert "@latest" not in page
        assert "needs network access" in page
        assert "/docs/openapi.json" in page
