"""Writing avatar snapshots into the feed read model: confirmed cards, confirmed absences, stale marks."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from uuid import UUID

from fleetkit.db import KitPool
from social.avatar_directory import AvatarCard
from social.snapshots.queries import (
    CLEAR_MISSING_SNAPSHOTS,
    MARK_SNAPSHOTS_STALE,
    SELECT_STALE_AVATAR_IDS,
    UPDATE_SNAPSHOTS,
)

__all__ = ["mark_stale", "save_snapshots", "stale_avatar_ids"]


async def save_snapshots(
    pool: KitPool, requested: Collection[UUID], cards: Sequence[AvatarCard], now: datetime
) -> None:
    """Store what avatars answered for ``requested``: a card updates every entry showing that
    avatar; an id avatars no longer knows (deleted avatar) clears the snapshot, and the entries
    fall back to the author's default display name."""
    found = {card.id for card in cards if card.id in requested}
    missing = [avatar_id for avatar_id in requested if avatar_id not in found]
    kept = [card for card in cards if card.id in found]
    async with pool.acquire() as conn, conn.transaction():
        if kept:
            await conn.execute(
                UPDATE_SNAPSHOTS,
                [c.id for c in kept],
                [c.name for c in kept],
                [c.render_url for c in kept],
                [c.updated_at for c in kept],
                now,
            )
        if missing:
            await conn.execute(CLEAR_MISSING_SNAPSHOTS, missing, now)


async def mark_stale(pool: KitPool, avatar_ids: Collection[UUID]) -> None:
    """Defer a refresh: the next sweep (or the feed, once the snapshot is too old) picks it up."""
    if avatar_ids:
        await pool.execute(MARK_SNAPSHOTS_STALE, list(avatar_ids))


async def stale_avatar_ids(pool: KitPool, limit: int) -> list[UUID]:
    if limit <= 0:
        return []
    return [row[0] for row in await pool.fetch(SELECT_STALE_AVATAR_IDS, limit)]
