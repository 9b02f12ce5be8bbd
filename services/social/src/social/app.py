"""The social service: posts, likes, comments, reputation, the feed and post export."""

from __future__ import annotations

import os
from pathlib import Path

from litestar import Litestar

from fleetkit.app import create_service_app
from fleetkit.idempotency.sweep import sweep_idempotency_keys
from fleetkit.lifespan import KeysFactory
from fleetkit.settings import settings_or_exit
from social.features.comment.add_comment import router as add_comment
from social.features.comment.delete_comment import router as delete_comment
from social.features.feed.read_feed_page import router as read_feed_page
from social.features.like.like_post import router as like_post
from social.features.like.unlike_post import router as unlike_post
from social.features.post.delete_post import router as delete_post
from social.features.post.export_my_posts import router as export_my_posts
from social.features.post.publish_post import router as publish_post
from social.features.reputation.score_user import router as score_user
from social.settings import SocialSettings
from social.wiring import SocialWiring

__all__ = ["MIGRATIONS", "create_app"]

MIGRATIONS = Path(__file__).parent / "migrations"
SLICES = (
    publish_post.plugin,
    delete_post.plugin,
    export_my_posts.plugin,
    like_post.plugin,
    unlike_post.plugin,
    add_comment.plugin,
    delete_comment.plugin,
    read_feed_page.plugin,
    score_user.plugin,
)


def create_app(*, keys_factory: KeysFactory | None = None) -> Litestar:
    """Granian factory: ``granian --interface asgi --factory social.app:create_app``.

    Tokens are verified against identity's JWKS (``AUTH_JWKS_URL``); tests pass ``keys_factory``.
    """
    settings = settings_or_exit(SocialSettings, os.environ)
    if keys_factory is None and not settings.auth_jwks_url:
        raise SystemExit("configuration error: AUTH_JWKS_URL is required (identity's JWKS)")
    wiring = SocialWiring(settings)
    return create_service_app(
        settings=settings,
        slices=SLICES,
        migrations=MIGRATIONS,
        description=(
            "Posts, likes, comments, reputation, a feed with author avatars (degrading, never "
            "failing, when avatars is down) and a streaming export of one's posts."
        ),
        hooks=(wiring.open, sweep_idempotency_keys),
        keys_factory=keys_factory,
        dependencies=wiring.dependencies(),
    )
