"""DELETE takes no body and answers 204 with none: this slice has no wire Structs.

``If-Match`` is optional here: when sent, a stale version gets 412 instead of deleting.
"""

from __future__ import annotations

IF_MATCH_DESCRIPTION = 'Optional: delete only if the avatar is still at this ETag, e.g. "3".'
