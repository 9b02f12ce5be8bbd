"""Identity's settings: the kit's plus signing keys and token lifetimes."""

from __future__ import annotations

from typing import Annotated

import msgspec

from fleetkit.settings import KitSettings

__all__ = ["IdentitySettings"]


class IdentitySettings(KitSettings, frozen=True, kw_only=True):
    service_name: str = "identity"
    identity_signing_keys_dir: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            description="Folder of Ed25519 PEM keys: current.pem signs; next.pem and previous.pem are published.",
        ),
    ]
    identity_access_token_ttl_s: Annotated[
        int,
        msgspec.Meta(ge=60, le=86_400, description="Lifetime of an access token (at most AUTH_MAX_TOKEN_LIFETIME_S)."),
    ] = 900
    identity_refresh_token_ttl_s: Annotated[
        int, msgspec.Meta(ge=3600, le=31_536_000, description="Lifetime of a refresh token.")
    ] = 1_209_600
    identity_login_budget: Annotated[
        int,
        msgspec.Meta(ge=1, le=1000, description="Login attempts per account per window, across every replica."),
    ] = 10
    identity_login_window_s: Annotated[
        int,
        msgspec.Meta(
            ge=10, le=86_400, description="Seconds of a login budget's window; the count starts over after it."
        ),
    ] = 900
    identity_login_backoff_s: Annotated[
        float,
        msgspec.Meta(
            ge=0,
            le=3600,
            description="Hold after an account's first attempt in a window; doubles with each further one.",
        ),
    ] = 1.0
    identity_refresh_reuse_leeway_s: Annotated[
        float,
        msgspec.Meta(
            ge=0,
            le=60,
            description="Seconds after a refresh token's use in which using it again (two tabs at once) "
            "gets a pair of its own instead of revoking the session; 0 turns it off.",
        ),
    ] = 5.0
    identity_password_hash_concurrency: Annotated[
        int,
        msgspec.Meta(
            ge=1,
            le=64,
            description="Password hashes (argon2id, 64 MiB each) running at once per worker; "
            "the chart checks them against the memory limit.",
        ),
    ] = 1
    identity_password_hash_queue_max: Annotated[
        int,
        msgspec.Meta(
            ge=0, le=10_000, description="Logins and registrations that may wait for a hashing place; beyond, 503."
        ),
    ] = 8
    identity_password_hash_wait_s: Annotated[
        float,
        msgspec.Meta(gt=0, le=60, description="Longest wait for a hashing place before 503 with Retry-After."),
    ] = 2.0
