from __future__ import annotations

from typing import Annotated, assert_never
from uuid import UUID

from litestar import delete
from litestar.params import Parameter

from fleetkit.app import Slice
from fleetkit.di import CurrentCaller, DbPool
from fleetkit.problems import problem, problem_spec
from fleetkit.responses import Response
from social.features.like.unlike_post.command import UnlikePost
from social.features.like.unlike_post.handler import PostUnliked, unlike_post
from social.features.like.unlike_post.schema import UnlikePostResponse
from social.posts import PostNotFound


@delete(
    "/v1/posts/{post_id:uuid}/like",
    tags=["likes"],
    summary="Take back your like (idempotent).",
    status_code=200,
    responses={404: problem_spec(PostNotFound.detail)},
)
async def unlike(
    post_id: Annotated[UUID, Parameter(description="The post to unlike.")],
    caller: CurrentCaller,
    pool: DbPool,
) -> Response[UnlikePostResponse]:
    outcome = await unlike_post(UnlikePost(post_id, caller.user_id), pool=pool)
    match outcome:
        case PostUnliked():
            return Response(UnlikePostResponse(post_id=outcome.post_id, liked=False, like_count=outcome.like_count))
        case PostNotFound():
            return problem(404, "Not Found", outcome.detail)
        case _:
            assert_never(outcome)


plugin = Slice(unlike)
