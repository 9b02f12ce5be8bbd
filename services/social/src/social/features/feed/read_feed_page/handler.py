"""A feed page from the read model, with avatar snapshots confirmed at most once per TTL.

Per page: rows whose snapshot is older than the TTL (or never confirmed) are confirmed with ONE
avatars batch-get (behind the breaker, within the retry deadline), and the read model is updated.
If avatars cannot answer, the page is still served, with those rows' avatar null and
``degraded`` set (plus a log event and ``social_feed_degraded``). Rows past half the TTL, or
marked stale, are handed to the snapshot worker so the next page rarely has to wait on avatars.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg
import msgspec

from fleetkit.db import KitPool
from fleetkit.logging import get_logger
from social.avatar_directory import AvatarDirectory, AvatarsUnavailable
from social.features.feed.read_feed_page.command import ReadFeedPage
from social.features.feed.read_feed_page.queries import SELECT_FEED_PAGE_AFTER, SELECT_FEED_PAGE_FIRST
from social.metrics import SocialMetrics
from social.snapshots.refresher import SnapshotRefresher
from social.snapshots.store import save_snapshots

log = get_logger("social.feed")


class FeedAvatar(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    render_url: str
    updated_at: datetime


class FeedItem(msgspec.Struct, frozen=True):
    post_id: UUID
    author_id: UUID
    author_name: str
    text: str
    created_at: datetime
    like_count: int
    comment_count: int
    avatar_id: UUID | None
    avatar: FeedAvatar | None


class FeedPage(msgspec.Struct, frozen=True):
    items: list[FeedItem]
    next_after: UUID | None
    degraded: bool


async def read_feed_page(
    cmd: ReadFeedPage,
    *,
    pool: KitPool,
    avatars: AvatarDirectory,
    refresher: SnapshotRefresher,
    metrics: SocialMetrics,
    snapshot_ttl_s: float,
) -> FeedPage:
    rows = await _page(pool, cmd)
    ttl = timedelta(seconds=snapshot_ttl_s)
    # Past half the TTL is past the TTL's earlier cut too: one pass finds every row needing work.
    ageing = _ageing(rows[: cmd.limit], cmd.now - ttl / 2)
    due = {r["avatar_id"] for r in ageing if _older(r["snapshot_at"], cmd.now - ttl)}
    unconfirmed: set[UUID] = set()
    if due:
        cards = await avatars.batch_get(sorted(due), cmd.bearer)
        if isinstance(cards, AvatarsUnavailable):
            unconfirmed = due
            metrics.feed_degraded.labels(cards.reason).inc()
            log.warning("feed_degraded", reason=cards.reason, unconfirmed=len(due))
        else:
            await save_snapshots(pool, due, cards, cmd.now)
            rows = await _page(pool, cmd)
            ageing = _ageing(rows[: cmd.limit], cmd.now - ttl / 2)
    refresh = {r["avatar_id"] for r in ageing if r["avatar_id"] not in due}
    if refresh:
        await refresher.submit(refresh, cmd.bearer)
    items = [_item(r, unconfirmed) for r in rows[: cmd.limit]]
    next_after = items[-1].post_id if len(rows) > cmd.limit else None
    return FeedPage(items, next_after, degraded=bool(unconfirmed))


async def _page(pool: KitPool, cmd: ReadFeedPage) -> list[asyncpg.Record]:
    """``limit`` rows and one more (whose presence means there is a next page)."""
    if cmd.after is None:
        rows: list[asyncpg.Record] = await pool.fetch(SELECT_FEED_PAGE_FIRST, cmd.limit + 1)
        return rows
    rows = await pool.fetch(SELECT_FEED_PAGE_AFTER, cmd.limit + 1, cmd.after)
    return rows


def _ageing(rows: Sequence[asyncpg.Record], refresh_by: datetime) -> list[asyncpg.Record]:
    """Rows with an avatar whose snapshot is marked stale, never confirmed or older than ``refresh_by``."""
    return [
        r for r in rows if r["avatar_id"] is not None and (r["snapshot_stale"] or _older(r["snapshot_at"], refresh_by))
    ]


def _older(snapshot_at: datetime | None, than: datetime) -> bool:
    return snapshot_at is None or snapshot_at < than


def _item(row: asyncpg.Record, hidden: set[UUID]) -> FeedItem:
    """The response's item straight from the row; an unconfirmed avatar (``hidden``) is not shown."""
    avatar_id, name, render_url = row["avatar_id"], row["avatar_name"], row["avatar_render_url"]
    avatar = None
    if avatar_id is not None and name and render_url and avatar_id not in hidden:
        updated_at = row["avatar_updated_at"] or row["created_at"]
        avatar = FeedAvatar(id=avatar_id, name=name, render_url=render_url, updated_at=updated_at)
    return FeedItem(
        post_id=row["post_id"],
        author_id=row["author_id"],
        author_name=row["author_name"],
        text=row["text"],
        created_at=row["created_at"],
        like_count=row["like_count"],
        comment_count=row["comment_count"],
        avatar_id=avatar_id,
        avatar=avatar,
    )
