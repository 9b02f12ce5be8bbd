"""Stream the caller's posts as NDJSON in constant memory, however many there are.

Rows come through a server-side cursor (asyncpg fetches ``PREFETCH`` rows per round trip) in one
repeatable-read, read-only transaction, so the export is a consistent snapshot. Lines are encoded
straight into one reused buffer and handed out in chunks of about ``CHUNK_BYTES``: memory is
bounded by those two numbers, not by the number of posts. The connection is held until the
client has read everything or gone away (the generator's ``async with`` releases it either way).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from uuid import UUID

import msgspec

from fleetkit.db import KitPool
from social.features.post.export_my_posts.command import ExportMyPosts
from social.features.post.export_my_posts.queries import SELECT_MY_POSTS_FOR_EXPORT

PREFETCH = 500
CHUNK_BYTES = 64 * 1024


class ExportLine(msgspec.Struct, frozen=True):
    id: UUID
    text: str
    avatar_id: UUID | None
    created_at: datetime
    like_count: int
    comment_count: int


async def export_my_posts(cmd: ExportMyPosts, *, pool: KitPool) -> AsyncIterator[bytes]:
    encoder = msgspec.json.Encoder()
    buffer = bytearray()
    async with (
        pool.acquire() as conn,
        conn.transaction(isolation="repeatable_read", readonly=True),
    ):
        async for row in conn.cursor(SELECT_MY_POSTS_FOR_EXPORT, cmd.author_id, prefetch=PREFETCH):
            encoder.encode_into(ExportLine(**row), buffer, -1)
            buffer.extend(b"\n")
            if len(buffer) >= CHUNK_BYTES:
                yield bytes(buffer)
                buffer.clear()
    if buffer:
        yield bytes(buffer)
