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
from social.features.feed.read_page.command import ReadFeedPage
from social.features.feed.read_page.queries import SELECT_FEED_PAGE_AFTER, SELECT_FEED_PAGE_FIRST
from social.metrics import SocialMetrics
from social.snapshots.refresher import SnapshotRefresher
from social.snapshots.store import save_snapshots

log = get_logger("social.feed")


class FeedRow(msgspec.Struct, frozen=True):
    post_id: UUID
    author_id: UUID
    author_name: str
    text: str
    created_at: datetime
    like_count: int
    comment_count: int
    avatar_id: UUID | None
    avatar_name: str | None
    avatar_render_url: str | None
    avatar_updated_at: datetime | None
    snapshot_at: datetime | None
    snapshot_stale: bool


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
    due = {r.avatar_id for r in rows[: cmd.limit] if r.avatar_id and _older(r, cmd.now - ttl)}
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
    ageing = {
        r.avatar_id
        for r in rows[: cmd.limit]
        if r.avatar_id and r.avatar_id not in due and (r.snapshot_stale or _older(r, cmd.now - ttl / 2))
    }
    if ageing:
        await refresher.submit(ageing, cmd.bearer)
    items = [_item(r, hide_avatar=r.avatar_id in unconfirmed) for r in rows[: cmd.limit]]
    next_after = items[-1].post_id if len(rows) > cmd.limit else None
    return FeedPage(items, next_after, degraded=bool(unconfirmed))


async def _page(pool: KitPool, cmd: ReadFeedPage) -> list[FeedRow]:
    """``limit`` rows and one more (whose presence means there is a next page)."""
    if cmd.after is None:
        records: Sequence[asyncpg.Record] = await pool.fetch(SELECT_FEED_PAGE_FIRST, cmd.limit + 1)
    else:
        records = await pool.fetch(SELECT_FEED_PAGE_AFTER, cmd.limit + 1, cmd.after)
    return [FeedRow(*r) for r in records]


def _older(row: FeedRow, than: datetime) -> bool:
    return row.snapshot_at is None or row.snapshot_at < than


def _item(row: FeedRow, *, hide_avatar: bool) -> FeedItem:
    avatar = None
    if not hide_avatar and row.avatar_id and row.avatar_name and row.avatar_render_url:
        updated = row.avatar_updated_at or row.created_at
        avatar = FeedAvatar(row.avatar_id, row.avatar_name, row.avatar_render_url, updated)
    return FeedItem(
        row.post_id,
        row.author_id,
        row.author_name,
        row.text,
        row.created_at,
        row.like_count,
        row.comment_count,
        row.avatar_id,
        avatar,
    )
