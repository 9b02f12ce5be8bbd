"""Identity tests: each test gets its own database cloned from a migrated template."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from fleetkit.db import KitPool
from fleetkit.testing import database_fixtures
from identity.accounts import Account
from identity.app import MIGRATIONS, create_app
from identity.features.account.register_account.command import RegisterAccount
from identity.features.account.register_account.handler import register_account
from identity.features.session.open_session.command import OpenSession
from identity.features.session.open_session.handler import LoginLimits, open_session
from identity.passwords import Passwords
from identity.sessions import SessionTokens
from identity.tokens import KeyRing, generate_keys

template, database_url, pool = database_fixtures("identity", MIGRATIONS)


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("keys")
    generate_keys(folder)
    return folder


@pytest.fixture(scope="session")
def keyring(keys_dir: Path) -> KeyRing:
    return KeyRing.from_folder(keys_dir, issuer="fleet-identity", audience="fleet", ttl_s=900)


@pytest.fixture(scope="session")
def passwords() -> Passwords:
    return Passwords()


@pytest.fixture
def app_env(database_url: str, keys_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("IDENTITY_SIGNING_KEYS_DIR", str(keys_dir))
    monkeypatch.setenv("RATE_LIMIT_STRICT_BURST", "1000")
    return


@pytest.fixture
async def client(app_env: None) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with AsyncTestClient(app=create_app()) as test_client:
        yield test_client


# Data built through the slices' own handlers -----------------------------------------------

PASSWORD = "correct horse battery"
#: Generous enough that tests logging in often are never held (the throttle has its own tests).
LOGIN_LIMITS = LoginLimits(budget=1000, window_s=60, backoff_s=0)


@pytest.fixture
def register(pool: KitPool, passwords: Passwords):
    """``await register(email)`` -> the new account, through the register_account slice's handler."""

    async def make(email: str, password: str = PASSWORD) -> Account:
        outcome = await register_account(RegisterAccount(email, password), pool=pool, passwords=passwords)
        assert isinstance(outcome, Account)
        return outcome

    return make


@pytest.fixture
def log_in(pool: KitPool, passwords: Passwords, keyring: KeyRing):
    """``await log_in(email)`` -> SessionTokens, through the open_session slice's handler."""

    async def make(email: str, password: str = PASSWORD, *, refresh_ttl_s: int = 3600) -> SessionTokens:
        outcome = await open_session(
            OpenSession(email, password),
            pool=pool,
            passwords=passwords,
            keyring=keyring,
            refresh_ttl_s=refresh_ttl_s,
            limits=LOGIN_LIMITS,
        )
        assert isinstance(outcome, SessionTokens)
        return outcome

    return make
