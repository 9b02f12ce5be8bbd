"""Entity tags and conditional requests (RFC 9110 §8.8.3, §13.1) for the avatar routers.

An avatar's ETag is its version, ``"3"``. ``If-Match`` uses the strong comparison: weak tags
never match, ``*`` matches any current version, and a list matches when any member does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fleetkit.responses import Response

__all__ = ["ANY_VERSION", "if_match_versions", "none_match", "not_modified", "version_etag"]

#: ``If-Match: *``: any current version will do.
ANY_VERSION = None


def version_etag(version: int) -> str:
    return f'"{version}"'


def _tags(header: str) -> list[str]:
    return [t.strip() for t in header.split(",") if t.strip()]


def if_match_versions(header: str) -> tuple[int, ...] | None:
    """Versions an ``If-Match`` header accepts; ``None`` for ``*``; ``()`` when none can match."""
    tags = _tags(header)
    if "*" in tags:
        return ANY_VERSION
    versions = []
    for tag in tags:
        inner = tag[1:-1] if len(tag) >= 2 and tag[0] == tag[-1] == '"' else ""
        if inner.isdigit() and len(inner) <= 9:
            versions.append(int(inner))
    return tuple(versions)


def none_match(header: str | None, etag: str) -> bool:
    """True when ``If-None-Match`` holds ``etag`` (weak comparison, as RFC 9110 asks for GET)."""
    if header is None:
        return False
    tags = _tags(header)
    return "*" in tags or etag in {t.removeprefix("W/") for t in tags}


def not_modified(headers: Mapping[str, str]) -> Response[Any]:
    """304: no body, the validators (ETag, Cache-Control) repeated."""
    return Response(b"", status_code=304, headers=dict(headers))
