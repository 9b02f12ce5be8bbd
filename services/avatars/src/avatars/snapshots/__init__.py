"""The avatar read model (CQRS-lite): one row per avatar with its drawing pre-rendered.

Writers (complete the wizard, update) call :func:`project` inside their own transaction, so the
snapshot always matches the write model. Readers (render, list mine, batch snapshots) read only
``avatar_snapshots``: a render is one indexed row fetch, never a drawing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg
import msgspec

from avatars.snapshots.queries import UPSERT_AVATAR_SNAPSHOT
from avatars.svg import Drawing, draw, etag_of

__all__ = ["AvatarFacts", "project"]


class AvatarFacts(msgspec.Struct, frozen=True):
    """What the projection needs from the write model."""

    id: UUID
    owner_id: UUID
    name: str
    shape: str
    color_background: str
    color_foreground: str
    color_accent: str
    accessories: Sequence[str]
    version: int
    updated_at: datetime


async def project(conn: asyncpg.Connection, facts: AvatarFacts) -> None:
    svg = draw(
        Drawing(
            shape=facts.shape,
            background=facts.color_background,
            foreground=facts.color_foreground,
            accent=facts.color_accent,
            accessories=facts.accessories,
            name=facts.name,
        )
    )
    await conn.execute(
        UPSERT_AVATAR_SNAPSHOT,
        facts.id,
        facts.owner_id,
        facts.name,
        facts.version,
        facts.updated_at,
        svg,
        etag_of(svg),
    )
