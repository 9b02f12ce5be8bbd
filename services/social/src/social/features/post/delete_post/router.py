from __future__ import annotations

from typing import Annotated, assert_never
from uuid import UUID

from litestar import delete
from litestar.params import Parameter

from fleetkit.app import Slice
from fleetkit.di import CurrentCaller, DbPool
from fleetkit.problems import problem, problem_spec
from fleetkit.responses import Response
from social.features.post.delete_post.command import DeletePost
from social.features.post.delete_post.handler import PostDeleted, delete_post
from social.posts import PostNotFound


@delete(
    "/v1/posts/{post_id:uuid}",
    tags=["posts"],
    summary="Delete one of your posts (with its likes and comments).",
    status_code=204,
    responses={404: problem_spec(PostNotFound.detail)},
)
async def remove(
    post_id: Annotated[UUID, Parameter(description="The post to delete.")],
    caller: CurrentCaller,
    pool: DbPool,
) -> Response[None]:
    outcome = await delete_post(DeletePost(post_id, caller.user_id), pool=pool)
    match outcome:
        case PostDeleted():
            return Response(None, status_code=204)
        case PostNotFound():
            return problem(404, "Not Found", outcome.detail)
        case _:
            assert_never(outcome)


plugin = Slice(remove)
