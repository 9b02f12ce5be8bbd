"""The avatars service: the creation wizard, avatar management, SVG renders, avatar snapshots."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from litestar import Litestar

from avatars.drafts import delete_expired_drafts
from avatars.features.avatar.complete_wizard import router as complete_wizard
from avatars.features.avatar.delete_avatar import router as delete_avatar
from avatars.features.avatar.get_avatar import router as get_avatar
from avatars.features.avatar.get_avatar_snapshots import router as get_avatar_snapshots
from avatars.features.avatar.list_my_avatars import router as list_my_avatars
from avatars.features.avatar.preview_draft import router as preview_draft
from avatars.features.avatar.render_avatar import router as render_avatar
from avatars.features.avatar.set_wizard_step import router as set_wizard_step
from avatars.features.avatar.start_wizard import router as start_wizard
from avatars.features.avatar.update_avatar import router as update_avatar
from avatars.settings import AvatarsSettings
from fleetkit.app import create_service_app
from fleetkit.idempotency.sweep import ExpirySweep
from fleetkit.lifespan import KeysFactory
from fleetkit.settings import settings_or_exit

__all__ = ["EXPIRY_SWEEP", "MIGRATIONS", "create_app"]

MIGRATIONS = Path(__file__).parent / "migrations"
SLICES = (
    start_wizard.plugin,
    set_wizard_step.plugin,
    preview_draft.plugin,
    complete_wizard.plugin,
    get_avatar.plugin,
    list_my_avatars.plugin,
    update_avatar.plugin,
    delete_avatar.plugin,
    render_avatar.plugin,
    get_avatar_snapshots.plugin,
)
#: Once a minute, expired wizard drafts and Idempotency-Key records go (reads already treat both
#: as absent: this only reclaims space).
EXPIRY_SWEEP = ExpirySweep(delete_expired_drafts)

_AVATARS_PREFIX = "/v1/avatars/"
_SVG_SUFFIX = ".svg"


class SvgSuffixAlias:
    """Serve ``/v1/avatars/{id}.svg`` (the URL in every ``render_url``) by the render route.

    Litestar matches path parameters only as whole segments, so ``{id}.svg`` cannot be a route
    template. This shim, outside Litestar's router, maps the one-segment ``<id>.svg`` form onto
    the route ``/v1/avatars/{id}/image.svg`` before routing; everything else passes untouched.
    """

    __slots__ = ("app",)

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path.startswith(_AVATARS_PREFIX) and path.endswith(_SVG_SUFFIX):
            ref = path[len(_AVATARS_PREFIX) : -len(_SVG_SUFFIX)]
            if ref and "/" not in ref:
                scope["path"] = f"{_AVATARS_PREFIX}{ref}/image.svg"
        await self.app(scope, receive, send)


def create_app(keys_factory: KeysFactory | None = None) -> Litestar:
    """Granian factory: ``granian --interface asgi --factory avatars.app:create_app``.

    Tokens are verified with identity's JWKS (``AUTH_JWKS_URL``), fetched at start, refreshed
    in the background and kept when identity is down. ``keys_factory`` replaces that key
    source in tests only.
    """
    settings = settings_or_exit(AvatarsSettings, os.environ)
    app = create_service_app(
        settings=settings,
        slices=SLICES,
        migrations=MIGRATIONS,
        description=(
            "Avatars and their creation wizard: drafts, avatars, SVG renders, snapshots. Drafts are "
            "private to their owner; a finished avatar can be read by any authenticated caller (and "
            "its SVG render by anyone), but changed or deleted by its owner only."
        ),
        hooks=(EXPIRY_SWEEP,),
        keys_factory=keys_factory,
    )
    app.asgi_handler = SvgSuffixAlias(app.asgi_handler)
    return app
