"""Publish a post; an avatar, if given, must be the author's own as avatars says right now."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from fleetkit.db import KitPool
from fleetkit.ids import new_id, utcnow
from social.avatar_directory import AvatarCard, AvatarDirectory, AvatarsUnavailable
from social.features.post.publish_post.command import PublishPost
from social.features.post.publish_post.queries import INSERT_POST_WITH_FEED_ENTRY


class PostPublished(msgspec.Struct, frozen=True):
    id: UUID
    author_id: UUID
    text: str
    avatar_id: UUID | None
    created_at: datetime


class AvatarNotYours(msgspec.Struct, frozen=True):
    """Unknown to avatars or owned by someone else: one answer, so ids cannot be probed."""


async def publish_post(
    cmd: PublishPost, *, pool: KitPool, avatars: AvatarDirectory
) -> PostPublished | AvatarNotYours | AvatarsUnavailable:
    """An unchecked avatar is never accepted: when avatars cannot answer, neither do we (503)."""
    card: AvatarCard | None = None
    if cmd.avatar_id is not None:
        found = await avatars.batch_get([cmd.avatar_id], cmd.bearer)
        if isinstance(found, AvatarsUnavailable):
            return found
        card = next((c for c in found if c.id == cmd.avatar_id), None)
        if card is None or card.owner_id != cmd.author_id:
            return AvatarNotYours()
    post_id, now = new_id(), utcnow()
    await pool.execute(
        INSERT_POST_WITH_FEED_ENTRY,
        post_id,
        cmd.author_id,
        cmd.text,
        cmd.avatar_id,
        now,
        card.name if card else None,
        card.render_url if card else None,
        card.updated_at if card else None,
    )
    return PostPublished(id=post_id, author_id=cmd.author_id, text=cmd.text, avatar_id=cmd.avatar_id, created_at=now)
