"""Problem responses every social route can give, for the OpenAPI document (the kit middleware
answers 401 and 429; the kit's fault handlers answer 503 when the database is unavailable)."""

from __future__ import annotations

from collections.abc import Mapping

from litestar.openapi.datastructures import ResponseSpec

from fleetkit.problems import problem_spec

__all__ = ["documented"]


def documented(specific: Mapping[int, ResponseSpec] | None = None) -> dict[int, ResponseSpec]:
    """The common problems plus the route's own (which win on the same status)."""
    responses = {
        401: problem_spec("Missing, expired or invalid bearer token."),
        429: problem_spec("Rate limit exceeded; retry after Retry-After."),
        503: problem_spec("A dependency is unavailable; retry after Retry-After."),
    }
    responses.update(specific or {})
    return responses
