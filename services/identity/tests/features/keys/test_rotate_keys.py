"""Signing-key rotation: the files, the CLI, and tokens across a rollout where old and new replicas coexist."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from identity.app import create_app
from identity.tokens import KeyRing, generate_keys, rotate_keys


def _ring(folder: Path) -> KeyRing:
    return KeyRing.from_folder(folder, issuer="fleet-identity", audience="fleet", ttl_s=900)


def _kids(folder: Path) -> list[str]:
    return list(_ring(folder).public)


def test_keygen_writes_current_and_next_and_never_changes_an_existing_key(tmp_path):
    folder = tmp_path / "keys"
    assert generate_keys(folder) == [folder / "current.pem", folder / "next.pem"]
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert generate_keys(folder) == []
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert (folder / "current.pem").stat().st_mode & 0o777 == 0o600
    (folder / "next.pem").unlink()
    assert generate_keys(folder) == [folder / "next.pem"]
    assert (folder / "current.pem").read_bytes() == before["current.pem"]


def test_a_rotation_promotes_next_to_current_and_current_to_previous(tmp_path):
    folder = tmp_path / "keys"
    generate_keys(folder)
    current, following = _kids(folder)
    assert rotate_keys(folder) is None
    promoted, fresh, previous = _kids(folder)
    assert (promoted, previous) == (following, current)
    assert fresh not in (current, following)
    assert _ring(folder).signing_kid == following, "the published next key is the one that now signs"
    assert rotate_keys(folder) is None
    assert _kids(folder)[0] == fresh
    assert current not in _kids(folder), "the key two rotations old is no longer published"


def test_a_rotation_without_a_published_next_key_is_refused_and_changes_nothing(tmp_path):
    folder = tmp_path / "keys"
    generate_keys(folder)
    (folder / "next.pem").unlink()
    before = (folder / "current.pem").read_bytes()
    refusal = rotate_keys(folder)
    assert refusal is not None
    assert "next.pem" in refusal
    assert sorted(p.name for p in folder.iterdir()) == ["current.pem"]
    assert (folder / "current.pem").read_bytes() == before


def test_a_rotation_interrupted_after_promoting_next_completes_without_losing_the_old_key(tmp_path):
    folder = tmp_path / "keys"
    generate_keys(folder)
    old_current, old_next = _kids(folder)
    (folder / "previous.pem").write_bytes((folder / "current.pem").read_bytes())
    (folder / "current.pem").write_bytes((folder / "next.pem").read_bytes())
    assert rotate_keys(folder) is None
    current, _, previous = _kids(folder)
    assert (current, previous) == (old_next, old_current)


def test_the_cli_rotates_and_refuses_with_exit_code_2(tmp_path):
    folder = tmp_path / "keys"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "identity", *args, str(folder)]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)

    assert cli("keygen").returncode == 0
    first = _kids(folder)
    done = cli("rotate-keys")
    assert done.returncode == 0, done.stderr
    assert _kids(folder)[0] == first[1]
    (folder / "next.pem").unlink()
    refused = cli("rotate-keys")
    assert refused.returncode == 2
    assert "next.pem" in refused.stderr


@pytest.fixture
def before_and_after(tmp_path: Path) -> tuple[Path, Path]:
    """The key folders of an old and a new identity replica around one rotation."""
    old = tmp_path / "old"
    generate_keys(old)
    new = tmp_path / "new"
    shutil.copytree(old, new)
    assert rotate_keys(new) is None
    return old, new


@pytest.mark.parametrize("signed_by", ["old", "new"])
async def test_during_a_rollout_old_and_new_replicas_accept_each_others_tokens(
    app_env, monkeypatch, register, before_and_after, signed_by
):
    """Old replicas already publish the key new ones sign with; new ones still publish the old signing key."""
    account = await register(f"{signed_by}@example.com")
    old, new = before_and_after
    signer, verifier = (old, new) if signed_by == "old" else (new, old)
    token = _ring(signer).sign_access_token(account.id, time.time()).token
    monkeypatch.setenv("IDENTITY_SIGNING_KEYS_DIR", str(verifier))
    async with AsyncTestClient(app=create_app()) as client:
        response = await client.get("/v1/me", headers={"authorization": f"Bearer {token}"})
        published = [k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]]
    assert response.status_code == 200, response.text
    assert _ring(signer).signing_kid in published


def test_identity_refuses_to_start_when_its_tokens_would_outlive_the_maximum_lifetime(app_env, monkeypatch):
    monkeypatch.setenv("IDENTITY_ACCESS_TOKEN_TTL_S", "7200")
    monkeypatch.setenv("AUTH_MAX_TOKEN_LIFETIME_S", "3600")
    with pytest.raises(SystemExit) as stopped:
        create_app()
    assert "IDENTITY_ACCESS_TOKEN_TTL_S" in str(stopped.value)
    assert "AUTH_MAX_TOKEN_LIFETIME_S" in str(stopped.value)
