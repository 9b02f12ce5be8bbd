from __future__ import annotations

from typing import Annotated, assert_never
from uuid import UUID

from litestar import put
from litestar.params import Parameter

from fleetkit.app import Slice
from fleetkit.di import CurrentCaller, DbPool
from fleetkit.problems import problem, problem_spec
from fleetkit.responses import Response
from social.features.like.like_post.command import LikePost
from social.features.like.like_post.handler import PostLiked, like_post
from social.features.like.like_post.schema import LikePostResponse
from social.posts import PostNotFound


@put(
    "/v1/posts/{post_id:uuid}/like",
    tags=["likes"],
    summary="Like a post (idempotent: liking twice is one like).",
    status_code=200,
    responses={404: problem_spec(PostNotFound.detail)},
)
async def like(
    post_id: Annotated[UUID, Parameter(description="The post to like.")],
    caller: CurrentCaller,
    pool: DbPool,
) -> Response[LikePostResponse]:
    outcome = await like_post(LikePost(post_id, caller.user_id), pool=pool)
    match outcome:
        case PostLiked():
            return Response(LikePostResponse(post_id=outcome.post_id, liked=True, like_count=outcome.like_count))
        case PostNotFound():
            return problem(404, "Not Found", outcome.detail)
        case _:
            assert_never(outcome)


plugin = Slice(like)
