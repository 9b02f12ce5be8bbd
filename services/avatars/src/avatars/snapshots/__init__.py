"""The avatar read model (CQRS-lite): one row per avatar with its drawing pre-rendered.

Writers keep it in step inside their own transaction, so the snapshot always matches the write
model: an update calls :func:`project`; completing the wizard writes the new avatar's snapshot
in the statement that creates the avatar (``UPSERT_SNAPSHOTS_FROM``, one round trip). Readers
(render, list mine, snapshots for other services) read only ``avatar_snapshots``: a render is
one indexed row fetch, never a drawing.
"""

from __future__ import annotations

import asyncpg

from avatars.avatars import Avatar
from avatars.snapshots.queries import UPSERT_AVATAR_SNAPSHOT
from avatars.svg import draw, drawing_of, etag_of

__all__ = ["project"]


async def project(conn: asyncpg.Connection, avatar: Avatar) -> None:
    svg = draw(drawing_of(avatar))
    await conn.execute(
        UPSERT_AVATAR_SNAPSHOT,
        avatar.id,
        avatar.owner_id,
        avatar.name,
        avatar.version,
        avatar.updated_at,
        svg,
        etag_of(svg),
    )
