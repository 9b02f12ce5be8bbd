"""Schemathesis hooks for the fuzz test (loaded with SCHEMATHESIS_HOOKS in the isolated tool env).

Imports nothing from the workspace: schemathesis runs with ``uvx``, outside the project's venv.
"""

from __future__ import annotations

import schemathesis

PROBLEM_JSON = "application/problem+json"


@schemathesis.check
def errors_are_problem_json(ctx, response, case):  # type: ignore[no-untyped-def]
    """Every 4xx/5xx of the fleet is RFC 9457 problem+json, with the status repeated in the body."""
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])
    if isinstance(content_type, list):
        content_type = content_type[0] if content_type else ""
    if not content_type.startswith(PROBLEM_JSON):
        raise AssertionError(f"{response.status_code} with content-type {content_type!r}, not {PROBLEM_JSON}")
    body = response.json()
    if not isinstance(body, dict) or body.get("status") != response.status_code or not body.get("title"):
        raise AssertionError(f"problem body without matching status/title: {str(body)[:200]}")
    return None
