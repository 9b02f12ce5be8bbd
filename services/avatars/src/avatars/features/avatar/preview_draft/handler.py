"""Draw a draft as it stands; steps not set yet are drawn with neutral defaults."""

from __future__ import annotations

import msgspec

from avatars.features.avatar.preview_draft.command import PreviewDraft
from avatars.features.avatar.preview_draft.queries import SELECT_LIVE_DRAFT_ATTRIBUTES
from avatars.svg import Drawing, draw, etag_of
from fleetkit.db import KitPool
from fleetkit.ids import utcnow


class DraftPreview(msgspec.Struct, frozen=True):
    svg: str
    etag: str


class DraftNotFound(msgspec.Struct, frozen=True):
    pass


async def preview_draft(cmd: PreviewDraft, *, pool: KitPool) -> DraftPreview | DraftNotFound:
    row = await pool.fetchrow(SELECT_LIVE_DRAFT_ATTRIBUTES, cmd.draft_id, cmd.owner_id, utcnow())
    if row is None:
        return DraftNotFound()
    shape, background, foreground, accent, accessories, name = row
    svg = draw(
        Drawing(
            shape=shape,
            background=background,
            foreground=foreground,
            accent=accent,
            accessories=accessories,
            name=name,
        )
    )
    return DraftPreview(svg=svg, etag=etag_of(svg))
