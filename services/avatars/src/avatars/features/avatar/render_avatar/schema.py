"""The render is an SVG document, not JSON: no request or response Struct, only its contract.

Served with a strong ETag (a hash of the drawing), ``Cache-Control`` and, for embedding, a
``Content-Security-Policy`` that forbids scripts and external loads even when opened directly.
"""

from __future__ import annotations

RENDER_MEDIA_TYPE = "image/svg+xml"
#: Avatars change rarely, but a change (or a delete) should show within a minute.
CACHE_CONTROL = "public, max-age=60"
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
RENDER_EXAMPLE = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 128 128">...</svg>'
