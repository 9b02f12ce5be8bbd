from __future__ import annotations

from typing import Annotated, assert_never
from uuid import UUID

from litestar import get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, HeaderParameter

from avatars.features.avatar.preview_draft.command import PreviewDraft
from avatars.features.avatar.preview_draft.handler import DraftNotFound, DraftPreview, preview_draft
from avatars.features.avatar.preview_draft.schema import PREVIEW_EXAMPLE, PREVIEW_MEDIA_TYPE
from avatars.preconditions import none_match, not_modified
from fleetkit.app import Slice
from fleetkit.di import CurrentCaller, DbPool
from fleetkit.problems import problem, problem_spec
from fleetkit.responses import Response

#: A draft changes at every step: the browser must revalidate (cheaply, by ETag) every time.
CACHE_CONTROL = "private, no-cache"


@get(
    "/v1/avatar-drafts/{draft_id:uuid}/preview.svg",
    tags=["avatar drafts"],
    summary="Preview a draft as SVG (only its owner can).",
    media_type=PREVIEW_MEDIA_TYPE,
    responses={
        304: ResponseSpec(None, description="Not modified: the If-None-Match ETag is current."),
        404: problem_spec("No live draft of yours with this id."),
    },
    response_description=f"The drawing, for example {PREVIEW_EXAMPLE}",
)
async def preview(
    draft_id: FromPath[UUID],
    caller: CurrentCaller,
    pool: DbPool,
    if_none_match: Annotated[str | None, HeaderParameter(name="If-None-Match")] = None,
) -> Response[str]:
    outcome = await preview_draft(PreviewDraft(draft_id=draft_id, owner_id=caller.user_id), pool=pool)
    match outcome:
        case DraftPreview(svg=svg, etag=etag):
            headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
            if none_match(if_none_match, etag):
                return not_modified(headers)
            headers["X-Content-Type-Options"] = "nosniff"
            return Response(svg, media_type=PREVIEW_MEDIA_TYPE, headers=headers)
        case DraftNotFound():
            return problem(404, "Not Found", "No live draft of yours has this id.")
        case _:
            assert_never(outcome)


plugin = Slice(preview)
