"""The identity service: accounts, credentials, sessions and the signing keys' JWKS."""

from __future__ import annotations

import os
from pathlib import Path

from litestar import Litestar
from litestar.di import Provide

from fleetkit.app import create_service_app
from fleetkit.auth import StaticKeySource
from fleetkit.runtime import Runtime
from fleetkit.settings import settings_or_exit
from identity.features.account.get_me import router as get_me
from identity.features.account.register_account import router as register_account
from identity.features.keys.publish_jwks import router as publish_jwks
from identity.features.session.close_session import router as close_session
from identity.features.session.open_session import router as open_session
from identity.features.session.refresh_session import router as refresh_session
from identity.passwords import Passwords
from identity.settings import IdentitySettings
from identity.tokens import KeyRing

__all__ = ["MIGRATIONS", "create_app"]

MIGRATIONS = Path(__file__).parent / "migrations"
SLICES = (
    register_account.plugin,
    get_me.plugin,
    open_session.plugin,
    refresh_session.plugin,
    close_session.plugin,
    publish_jwks.plugin,
)


def create_app() -> Litestar:
    """Granian factory: ``granian --interface asgi --factory identity.app:create_app``."""
    settings = settings_or_exit(IdentitySettings, os.environ)
    if settings.identity_access_token_ttl_s > settings.auth_max_token_lifetime_s:
        msg = (
            f"configuration error: IDENTITY_ACCESS_TOKEN_TTL_S ({settings.identity_access_token_ttl_s}) exceeds"
            f" AUTH_MAX_TOKEN_LIFETIME_S ({settings.auth_max_token_lifetime_s}): every token would be refused"
        )
        raise SystemExit(msg)
    try:
        keyring = KeyRing.from_folder(
            Path(settings.identity_signing_keys_dir),
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
            ttl_s=settings.identity_access_token_ttl_s,
        )
    except (OSError, ValueError) as exc:
        raise SystemExit(f"configuration error: IDENTITY_SIGNING_KEYS_DIR: {exc}") from None
    passwords = Passwords(
        concurrency=settings.identity_password_hash_concurrency,
        queue_max=settings.identity_password_hash_queue_max,
        wait_s=settings.identity_password_hash_wait_s,
    )

    def own_keys(_: Runtime) -> StaticKeySource:
        return StaticKeySource(keyring.public)

    return create_service_app(
        settings=settings,
        slices=SLICES,
        migrations=MIGRATIONS,
        description="Accounts, credentials, sessions and signing keys.",
        keys_factory=own_keys,
        dependencies={
            "keyring": Provide(lambda: keyring, sync_to_thread=False),
            "passwords": Provide(lambda: passwords, sync_to_thread=False),
        },
    )
