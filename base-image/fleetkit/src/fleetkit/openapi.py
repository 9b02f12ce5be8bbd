"""OpenAPI that tells the truth about the kit: its problem responses and its strict request bodies.

- Every route documents the problem+json answers the kit itself gives (400, 401, 429, 503; 404
  on routes with a path parameter), so a client generated from the document expects them.
- Request Structs declared ``forbid_unknown_fields=True`` are published with
  ``additionalProperties: false``, which is what the server enforces. Litestar's msgspec schema
  plugin does not say so; this subclass of it does (it uses Litestar's private plugin module,
  pinned by the lock and covered by the schema tests).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Reference, Schema

from fleetkit.problems import problem_spec

__all__ = ["StrictStructSchemaPlugin", "document_kit_responses"]


class StrictStructSchemaPlugin(StructSchemaPlugin):
    def to_openapi_schema(self, field_definition: Any, schema_creator: Any) -> Schema:
        schema: Schema | Reference = super().to_openapi_schema(field_definition, schema_creator)
        info = msgspec.inspect.type_info(field_definition.type_)
        if isinstance(info, msgspec.inspect.StructType) and info.forbid_unknown_fields:
            target = schema_creator.schema_registry.get_schema_for_field_definition(field_definition)
            target.additional_properties = False
        return schema  # type: ignore[return-value]


def document_kit_responses(handler: Any) -> None:
    """Add the kit's own problem responses to a route handler's OpenAPI responses."""
    kit: dict[int, ResponseSpec] = {
        400: problem_spec("Malformed request; the problem names the fields."),
        429: problem_spec("Rate limited; retry after the Retry-After header."),
        503: problem_spec("A dependency is unavailable; retry after the Retry-After header."),
    }
    if not handler.opt.get("public"):
        kit[401] = problem_spec("Missing or invalid bearer token.")
    if any("{" in path for path in handler.paths):
        kit[404] = problem_spec("Not found.")
    responses = {**kit, **(handler.responses or {})}
    if handler.status_code == 204:  # no body: say so, instead of Litestar's default JSON content
        responses[204] = ResponseSpec(data_container=None, description="No Content")
    handler.responses = responses
