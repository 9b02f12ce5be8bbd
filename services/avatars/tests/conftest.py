"""Avatars tests: a database per test cloned from a migrated template, and signed test tokens."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from litestar.testing import AsyncTestClient

from avatars.app import MIGRATIONS, create_app
from avatars.features.avatar.complete_wizard.command import CompleteWizard
from avatars.features.avatar.complete_wizard.handler import AvatarCompleted, complete_wizard
from avatars.features.avatar.start_wizard.command import StartWizard
from avatars.features.avatar.start_wizard.handler import start_wizard
from fleetkit.auth import StaticKeySource
from fleetkit.db import KitPool
from fleetkit.ids import new_id
from fleetkit.runtime import Runtime
from fleetkit.testing import database_fixtures
from identity.tokens import KeyRing, generate_keys

PUBLIC_BASE = "http://avatars.test"
DRAFT_TTL_S = 3600


template, database_url, pool = database_fixtures("avatars", MIGRATIONS)


@pytest.fixture(scope="session")
def keyring(tmp_path_factory: pytest.TempPathFactory) -> KeyRing:
    folder: Path = tmp_path_factory.mktemp("keys")
    generate_keys(folder)
    return KeyRing.from_folder(folder, issuer="fleet-identity", audience="fleet", ttl_s=900)


@pytest.fixture
def token_for(keyring: KeyRing) -> Callable[[UUID], str]:
    return lambda user_id: keyring.sign_access_token(user_id, time.time()).token


@pytest.fixture
def alice() -> UUID:
    return new_id()


@pytest.fixture
def bob() -> UUID:
    return new_id()


@pytest.fixture
def app_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("AUTH_JWKS_URL", "http://127.0.0.1:9/unused-in-tests")
    monkeypatch.setenv("AVATARS_PUBLIC_BASE_URL", PUBLIC_BASE + "/")
    monkeypatch.setenv("AVATARS_DRAFT_TTL_S", str(DRAFT_TTL_S))
    monkeypatch.setenv("RATE_LIMIT_BURST", "100000")


@pytest.fixture
async def client(app_env: None, keyring: KeyRing) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    def test_keys(runtime: Runtime) -> StaticKeySource:
        return StaticKeySource(keyring.public)

    async with AsyncTestClient(app=create_app(keys_factory=test_keys)) as test_client:
        yield test_client


@pytest.fixture
def as_user(token_for: Callable[[UUID], str]) -> Callable[[UUID], dict[str, str]]:
    """Headers of a request made by ``user_id``."""
    return lambda user_id: {"Authorization": f"Bearer {token_for(user_id)}"}


PALETTE = {"background": "#112233", "foreground": "#FFFFFF", "accent": "#FFCC00"}
STEPS = (
    ("shape", {"shape": "hexagon"}),
    ("palette", PALETTE),
    ("accessories", {"accessories": ["hat", "glasses"]}),
    ("name", {"name": "Captain Pixel"}),
)
MakeDraft = Callable[..., Awaitable[UUID]]


@pytest.fixture
def steps() -> tuple[tuple[str, dict[str, object]], ...]:
    """The four wizard steps as (path suffix, body), every one valid."""
    return STEPS


@pytest.fixture
def full_draft(pool: KitPool) -> MakeDraft:
    """``await full_draft(owner_id)``: a draft with every step set (start_wizard's handler)."""

    async def make(owner_id: UUID, name: str = "Captain Pixel") -> UUID:
        draft = await start_wizard(
            StartWizard(
                owner_id=owner_id,
                shape="hexagon",
                palette=("#112233", "#FFFFFF", "#FFCC00"),
                accessories=("hat", "glasses"),
                name=name,
            ),
            pool=pool,
            ttl_s=DRAFT_TTL_S,
        )
        return draft.id

    return make


@pytest.fixture
def avatar_of(pool: KitPool, full_draft: MakeDraft) -> MakeDraft:
    """``await avatar_of(owner_id)``: a completed avatar (start and complete handlers)."""

    async def make(owner_id: UUID, name: str = "Captain Pixel") -> UUID:
        draft_id = await full_draft(owner_id, name)
        done = await complete_wizard(CompleteWizard(draft_id=draft_id, owner_id=owner_id), pool=pool)
        assert isinstance(done, AvatarCompleted)
        return done.avatar.id

    return make


def _assert_problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    if field is not None:
        assert field in str(body.get("detail", "")) + str(body.get("errors", "")), body
    return body


@pytest.fixture
def assert_problem() -> Callable[..., dict[str, Any]]:
    """``assert_problem(response, status, field)``: problem+json with that status naming field."""
    return _assert_problem
