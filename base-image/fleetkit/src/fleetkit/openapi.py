"""OpenAPI that tells the truth about the kit: its problem responses, its security, its strict bodies.

- Every route documents the problem+json answers the kit itself gives (400, 401, 429, 503; 404
  on routes with a path parameter), each with an example carrying its real status, so a client
  generated from the document expects them. ``/readyz`` and ``/startupz`` document their 503.
- Authenticated routes carry the ``bearerAuth`` security requirement (an HTTP bearer JWT from
  identity); public routes carry none, so the docs UI sends the token exactly where it is needed.
- Request Structs declared ``forbid_unknown_fields=True`` are published with
  ``additionalProperties: false``, and a Struct with ``openapi_min_properties: ClassVar[int]``
  (a merge patch that must change something) with ``minProperties``: what the server enforces.
  Litestar's msgspec schema plugin does not say so; this subclass of it does (it uses Litestar's
  private plugin module, pinned by the lock and covered by the schema tests).
- The docs UIs load their scripts, pinned, from a public CDN (Litestar ships no UI assets): the
  pages say so and point at the document itself, which the service serves offline.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from http import HTTPStatus
from types import MappingProxyType
from typing import Any

import msgspec
from litestar import Request
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, Example, Reference, Schema, SecurityScheme

from fleetkit.policy import policy_of, route_label
from fleetkit.problems import PROBLEM_JSON, Problem

__all__ = [
    "BEARER",
    "ScalarDocs",
    "StrictStructSchemaPlugin",
    "SwaggerDocs",
    "document_kit_responses",
    "document_probe_responses",
    "security_components",
]

#: The security scheme's name in the document.
BEARER = "bearerAuth"
SCALAR_VERSION = "1.76.0"
SWAGGER_VERSION = "5.18.2"
#: The text /readyz and /startupz answer when they are not ready (fleetkit.health).
_PROBES_503: Mapping[str, str] = MappingProxyType(
    {
        "/readyz": "Not ready: draining, token keys not loaded yet, or database/schema not ready.",
        "/startupz": "Still starting.",
    }
)


def security_components() -> Components:
    """The document's security scheme: identity's access tokens, sent as ``Authorization: Bearer``."""
    scheme = SecurityScheme(
        type="http",
        scheme="bearer",
        bearer_format="JWT",
        description="An access token from identity's POST /v1/sessions (EdDSA-signed JWT, short-lived).",
    )
    return Components(security_schemes={BEARER: scheme})


class StrictStructSchemaPlugin(StructSchemaPlugin):
    def to_openapi_schema(self, field_definition: Any, schema_creator: Any) -> Schema:
        schema: Schema | Reference = super().to_openapi_schema(field_definition, schema_creator)
        struct = field_definition.type_
        info = msgspec.inspect.type_info(struct)
        if isinstance(info, msgspec.inspect.StructType):
            target = schema_creator.schema_registry.get_schema_for_field_definition(field_definition)
            if info.forbid_unknown_fields:
                target.additional_properties = False
            min_properties = getattr(struct, "openapi_min_properties", None)
            if isinstance(min_properties, int):
                target.min_properties = min_properties
        return schema  # type: ignore[return-value]


def _problem(status: int, description: str) -> ResponseSpec:
    """A documented problem, with an example that has the status it is documented under."""
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    example = Problem(title=title, status=status, detail=description)
    return ResponseSpec(
        data_container=Problem,
        description=description,
        media_type=PROBLEM_JSON,
        generate_examples=False,
        examples=[Example(summary=title, value=msgspec.to_builtins(example))],
    )


def _with_status_examples(responses: dict[int, ResponseSpec]) -> dict[int, ResponseSpec]:
    return {
        status: _problem(status, spec.description)
        if spec.media_type == PROBLEM_JSON and spec.data_container is Problem and not spec.examples
        else spec
        for status, spec in responses.items()
    }


def document_kit_responses(handler: Any) -> None:
    """Add the kit's own problem responses and the route's security to a route handler's OpenAPI."""
    kit: dict[int, ResponseSpec] = {
        400: _problem(400, "Malformed request; the problem names the fields."),
        429: _problem(429, "Rate limited; retry after the Retry-After header."),
        503: _problem(503, "A dependency is unavailable; retry after the Retry-After header."),
    }
    if not policy_of(handler.opt, route_label(handler.http_methods, handler.paths, handler.fn)).public:
        kit[401] = _problem(401, "Missing or invalid bearer token.")
        handler.security = [{BEARER: []}]
    if any("{" in path for path in handler.paths):
        kit[404] = _problem(404, "Not found.")
    responses = _with_status_examples({**kit, **(handler.responses or {})})
    if handler.status_code == 204:  # no body: say so, instead of Litestar's default JSON content
        responses[204] = ResponseSpec(data_container=None, description="No Content")
    handler.responses = responses


def document_probe_responses(handler: Any) -> None:
    """The probes' 503: a problem with Retry-After, which is what makes a pod unready."""
    for path in handler.paths:
        if path in _PROBES_503:
            handler.responses = {**(handler.responses or {}), 503: _problem(503, _PROBES_503[path])}


def _network_note(ui: str, version: str, document: str) -> str:
    return (
        '<p style="font:14px sans-serif;margin:8px 16px">'
        f"This page loads {html.escape(ui)} {html.escape(version)} from a public CDN: it needs network access. "
        f'The API document itself is served by this service, offline too: <a href="{html.escape(document)}">'
        f"{html.escape(document)}</a>.</p>"
    )


class ScalarDocs(ScalarRenderPlugin):
    """Scalar, pinned, with no stylesheet from an unpinned branch, saying it needs the network."""

    def __init__(self, *, path: str) -> None:
        super().__init__(version=SCALAR_VERSION, path=path)

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        document = self.get_openapi_json_route(request)
        title = html.escape(str(openapi_schema["info"]["title"]))
        page = f"""<!DOCTYPE html>
<html>
  <head>
    <title>{title}</title>
    <meta charset="utf-8"/>
    <meta name="viewport" content="width=device-width, initial-scale=1">
  </head>
  <body>
    {_network_note("Scalar", SCALAR_VERSION, document)}
    <noscript>Scalar needs JavaScript; the document is at {html.escape(document)}.</noscript>
    <script id="api-reference" data-url="{html.escape(document)}"></script>
    <script src="{html.escape(self.js_url)}" crossorigin></script>
  </body>
</html>
"""
        return page.encode()


class SwaggerDocs(SwaggerRenderPlugin):
    """Swagger UI, pinned, no favicon from an unpinned branch, saying it needs the network."""

    def __init__(self, *, path: str) -> None:
        super().__init__(version=SWAGGER_VERSION, path=path, favicon="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        page = super().render(request, openapi_schema)
        note = _network_note("Swagger UI", SWAGGER_VERSION, self.get_openapi_json_route(request))
        return page.replace(b"<body>", b"<body>" + note.encode(), 1)
