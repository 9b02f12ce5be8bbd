from __future__ import annotations

from typing import assert_never

import msgspec
from litestar import post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from fleetkit.app import Slice
from fleetkit.di import CurrentCaller, DbPool
from fleetkit.idempotency import IDEMPOTENCY_RESPONSES, IdempotencyKey, fingerprint, idempotent
from fleetkit.problems import FieldError, problem, problem_spec
from fleetkit.responses import Response
from social.avatar_directory import AvatarDirectory, AvatarsUnavailable
from social.bearer import BearerToken
from social.features.post.publish_post.command import PublishPost
from social.features.post.publish_post.handler import AvatarNotYours, PostPublished, publish_post
from social.features.post.publish_post.schema import PublishPostRequest, PublishPostResponse
from social.settings import SocialSettings

PATH = "/v1/posts"


@post(
    PATH,
    tags=["posts"],
    summary="Publish a post, optionally with one of your avatars.",
    responses={
        400: problem_spec("Invalid body; the problem names the field."),
        409: IDEMPOTENCY_RESPONSES[409],
        422: problem_spec(
            "avatar_id is not one of the caller's avatars, or this Idempotency-Key was already "
            "used for a different request."
        ),
        503: problem_spec("avatars cannot confirm the avatar now; retry after Retry-After."),
    },
)
async def publish(
    data: JSONBody[PublishPostRequest],
    caller: CurrentCaller,
    pool: DbPool,
    *,
    avatars: NamedDependency[AvatarDirectory],
    bearer: NamedDependency[BearerToken],
    social_settings: NamedDependency[SocialSettings],
    idempotency_key: IdempotencyKey = None,
) -> Response[PublishPostResponse]:
    cmd = PublishPost(caller.user_id, data.text, data.avatar_id, bearer)

    async def run() -> Response[PublishPostResponse]:
        outcome = await publish_post(cmd, pool=pool, avatars=avatars)
        match outcome:
            case PostPublished():
                body = msgspec.convert(outcome, PublishPostResponse, from_attributes=True)
                return Response(body, status_code=201)
            case AvatarNotYours():
                reason = "is not one of your avatars"
                errors = [FieldError("avatar_id", reason)]
                return problem(422, "Unprocessable Content", f"avatar_id {reason}.", errors=errors)
            case AvatarsUnavailable():
                return problem(
                    503,
                    "Service Unavailable",
                    "The avatar cannot be checked right now; retry later or post without it.",
                    headers={"Retry-After": str(outcome.retry_after_s)},
                )
            case _:
                assert_never(outcome)

    return await idempotent(
        pool,
        owner_id=caller.user_id,
        key=idempotency_key,
        request=fingerprint("POST", PATH, data),
        ttl_s=social_settings.social_idempotency_ttl_s,
        produce=run,
    )


plugin = Slice(publish)
