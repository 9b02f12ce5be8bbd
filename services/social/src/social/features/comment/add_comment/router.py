from __future__ import annotations

from typing import Annotated, assert_never
from uuid import UUID

import msgspec
from litestar import post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter

from fleetkit.app import Slice
from fleetkit.di import CurrentCaller, DbPool
from fleetkit.idempotency import IDEMPOTENCY_RESPONSES, IdempotencyKey, fingerprint, idempotent
from fleetkit.problems import problem, problem_spec
from fleetkit.responses import Response
from social.features.comment.add_comment.command import AddComment
from social.features.comment.add_comment.handler import CommentAdded, add_comment
from social.features.comment.add_comment.schema import AddCommentRequest, AddCommentResponse
from social.posts import PostNotFound
from social.settings import SocialSettings


@post(
    "/v1/posts/{post_id:uuid}/comments",
    tags=["comments"],
    summary="Comment on a post.",
    responses={
        400: problem_spec("Invalid body; the problem names the field."),
        404: problem_spec(PostNotFound.detail),
        **IDEMPOTENCY_RESPONSES,
    },
)
async def comment(
    post_id: Annotated[UUID, Parameter(description="The post to comment on.")],
    data: JSONBody[AddCommentRequest],
    caller: CurrentCaller,
    pool: DbPool,
    *,
    social_settings: NamedDependency[SocialSettings],
    idempotency_key: IdempotencyKey = None,
) -> Response[AddCommentResponse]:
    async def run() -> Response[AddCommentResponse]:
        outcome = await add_comment(AddComment(post_id, caller.user_id, data.text), pool=pool)
        match outcome:
            case CommentAdded():
                body = msgspec.convert(outcome, AddCommentResponse, from_attributes=True)
                return Response(body, status_code=201)
            case PostNotFound():
                return problem(404, "Not Found", outcome.detail)
            case _:
                assert_never(outcome)

    return await idempotent(
        pool,
        owner_id=caller.user_id,
        key=idempotency_key,
        request=fingerprint("POST", f"/v1/posts/{post_id}/comments", data),
        ttl_s=social_settings.social_idempotency_ttl_s,
        produce=run,
    )


plugin = Slice(comment)
