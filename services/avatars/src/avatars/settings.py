"""Avatars' settings: the kit's plus the draft lifetime and the public base URL of renders."""

from __future__ import annotations

from typing import Annotated

import msgspec

from fleetkit.settings import KitSettings

__all__ = ["AvatarsSettings"]


class AvatarsSettings(KitSettings, frozen=True, kw_only=True):
    service_name: str = "avatars"
    auth_jwks_url: Annotated[
        str,
        msgspec.Meta(
            pattern=r"^https?://",
            description="identity's JWKS document; avatars only verifies tokens, never issues them.",
        ),
    ]
    avatars_draft_ttl_s: Annotated[
        int,
        msgspec.Meta(ge=60, le=604_800, description="A wizard draft expires this long after its last change."),
    ] = 3600
    avatars_public_base_url: Annotated[
        str,
        msgspec.Meta(
            pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
            description="Base URL browsers reach avatars at; prefixes every render_url.",
        ),
    ]
    avatars_idempotency_ttl_s: Annotated[
        int,
        msgspec.Meta(ge=60, le=604_800, description="How long an Idempotency-Key is remembered."),
    ] = 86_400

    @property
    def render_base(self) -> str:
        return self.avatars_public_base_url.rstrip("/")
