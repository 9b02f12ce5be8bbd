"""Draw a draft as it stands; steps not set yet are drawn with neutral defaults."""

from __future__ import annotations

import msgspec

from avatars.drafts import DraftDesign
from avatars.features.avatar.preview_draft.command import PreviewDraft
from avatars.features.avatar.preview_draft.queries import SELECT_LIVE_DRAFT_DESIGN
from avatars.svg import draw, drawing_of, etag_of
from fleetkit.db import KitPool
from fleetkit.ids import utcnow


class DraftPreview(msgspec.Struct, frozen=True):
    svg: str
    etag: str


class DraftNotFound(msgspec.Struct, frozen=True):
    pass


async def preview_draft(cmd: PreviewDraft, *, pool: KitPool) -> DraftPreview | DraftNotFound:
    row = await pool.fetchrow(SELECT_LIVE_DRAFT_DESIGN, cmd.draft_id, cmd.owner_id, utcnow())
    if row is None:
        return DraftNotFound()
    svg = draw(drawing_of(DraftDesign(**row)))
    return DraftPreview(svg=svg, etag=etag_of(svg))
