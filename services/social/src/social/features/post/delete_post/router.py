from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import delete
from litestar.params import Parameter

from fleetkit.app import Slice
from fleetkit.di import CurrentCaller, DbPool
from fleetkit.problems import problem, problem_spec
from fleetkit.responses import Response
from social.features.post.delete_post.command import DeletePost
from social.features.post.delete_post.handler import NotYourPost, PostNotFound, delete_post
from social.openapi import documented


@delete(
    "/v1/posts/{post_id:uuid}",
    tags=["posts"],
    summary="Delete one of your posts (with its likes and comments).",
    status_code=204,
    responses=documented(
        {
            404: problem_spec("No such post."),
        }
    ),
)
async def remove(
    post_id: Annotated[UUID, Parameter(description="The post to delete.")],
    caller: CurrentCaller,
    pool: DbPool,
) -> Response[None]:
    outcome = await delete_post(DeletePost(post_id, caller.user_id), pool=pool)
    if isinstance(outcome, PostNotFound):
        return problem(404, "Not Found", "No post with this id.")
    if isinstance(outcome, NotYourPost):  # answered like a missing post: ids of others reveal nothing
        return problem(404, "Not Found", "No post with this id.")
    return Response(None, status_code=204)


plugin = Slice(remove)
