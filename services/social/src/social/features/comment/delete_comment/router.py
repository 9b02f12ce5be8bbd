from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import delete
from litestar.params import Parameter

from fleetkit.app import Slice
from fleetkit.di import CurrentCaller, DbPool
from fleetkit.problems import problem, problem_spec
from fleetkit.responses import Response
from social.features.comment.delete_comment.command import DeleteComment
from social.features.comment.delete_comment.handler import (
    CommentNotFound,
    NotYourComment,
    delete_comment,
)
from social.openapi import documented


@delete(
    "/v1/comments/{comment_id:uuid}",
    tags=["comments"],
    summary="Delete one of your comments.",
    status_code=204,
    responses=documented(
        {
            404: problem_spec("No such comment."),
        }
    ),
)
async def remove(
    comment_id: Annotated[UUID, Parameter(description="The comment to delete.")],
    caller: CurrentCaller,
    pool: DbPool,
) -> Response[None]:
    outcome = await delete_comment(DeleteComment(comment_id, caller.user_id), pool=pool)
    if isinstance(outcome, CommentNotFound):
        return problem(404, "Not Found", "No comment with this id.")
    if isinstance(outcome, NotYourComment):  # answered like a missing comment: ids of others reveal nothing
        return problem(404, "Not Found", "No comment with this id.")
    return Response(None, status_code=204)


plugin = Slice(remove)
