from __future__ import annotations

import msgspec


class PublishJwks(msgspec.Struct, frozen=True):
    """No input: the document is the same for every caller."""
