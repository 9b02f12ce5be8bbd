from __future__ import annotations

from uuid import UUID

import msgspec


class GetAvatarSnapshots(msgspec.Struct, frozen=True):
    """Distinct ids, in the caller's order."""

    ids: tuple[UUID, ...]
