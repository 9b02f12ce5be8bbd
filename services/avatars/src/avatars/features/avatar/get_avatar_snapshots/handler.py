"""Public snapshots of many avatars in one round trip, for other services (read model)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from avatars.features.avatar.get_avatar_snapshots.command import GetAvatarSnapshots
from avatars.features.avatar.get_avatar_snapshots.queries import SELECT_SNAPSHOTS_BY_IDS
from fleetkit.db import KitPool


class Snapshot(msgspec.Struct, frozen=True):
    id: UUID
    owner_id: UUID
    name: str
    updated_at: datetime


async def get_avatar_snapshots(cmd: GetAvatarSnapshots, *, pool: KitPool) -> list[Snapshot]:
    if not cmd.ids:
        return []
    rows = await pool.fetch(SELECT_SNAPSHOTS_BY_IDS, list(cmd.ids))
    return [Snapshot(**row) for row in rows]
