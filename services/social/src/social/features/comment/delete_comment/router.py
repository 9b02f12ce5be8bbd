from __future__ import annotations

from typing import Annotated, assert_never
from uuid import UUID

from litestar import delete
from litestar.params import Parameter

from fleetkit.app import Slice
from fleetkit.di import CurrentCaller, DbPool
from fleetkit.problems import problem, problem_spec
from fleetkit.responses import Response
from social.features.comment.delete_comment.command import DeleteComment
from social.features.comment.delete_comment.handler import CommentDeleted, CommentNotFound, delete_comment


@delete(
    "/v1/comments/{comment_id:uuid}",
    tags=["comments"],
    summary="Delete one of your comments.",
    status_code=204,
    responses={404: problem_spec(CommentNotFound.detail)},
)
async def remove(
    comment_id: Annotated[UUID, Parameter(description="The comment to delete.")],
    caller: CurrentCaller,
    pool: DbPool,
) -> Response[None]:
    outcome = await delete_comment(DeleteComment(comment_id, caller.user_id), pool=pool)
    match outcome:
        case CommentDeleted():
            return Response(None, status_code=204)
        case CommentNotFound():
            return problem(404, "Not Found", outcome.detail)
        case _:
            assert_never(outcome)


plugin = Slice(remove)
