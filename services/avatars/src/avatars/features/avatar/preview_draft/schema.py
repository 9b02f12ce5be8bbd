"""The preview is an SVG document (``image/svg+xml``), not JSON: no request or response Struct.

Conditional GET: ``If-None-Match`` with the ETag of the last preview gives 304.
"""

from __future__ import annotations

PREVIEW_MEDIA_TYPE = "image/svg+xml"
PREVIEW_EXAMPLE = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 128 128">...</svg>'
