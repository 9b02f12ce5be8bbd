"""The scaffolder's promise, end to end: what ``make new-service`` and ``make new-slice`` generate
passes every check and its own test with no edits.

The repository (tracked and untracked files, not ignored ones) is copied to a temporary folder;
there, ``make new-service`` adds a service with its example slice, ``make new-slice`` adds a slice
to it and one to identity, and then the checks CI runs are run on the copy: ruff (on what was
generated or edited), mypy --strict on the touched packages, import-linter, the standards tests,
and the generated tests against the real PostgreSQL. (Its image needs no file of its own: the one
services/Dockerfile builds it with --build-arg SERVICE=<name>.) The working tree itself is never
touched. About 2 minutes on 2 cores with a warm uv cache.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from fleetkit.testing import admin_dsn

REPO = Path(__file__).resolve().parents[2]
SERVICE = "ledger"
#: Caches and tool state that are not part of the repository even when git does not ignore them.
_SKIP_TOP = frozenset({".schemathesis", ".hypothesis", ".import_linter_cache", ".ruff_cache", ".mypy_cache"})


def copy_repository(dst: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        source = REPO / rel
        if rel.split("/", 1)[0] in _SKIP_TOP or not source.is_file():
            continue  # deleted in the working tree, or a cache
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def run(cwd: Path, *args: str, timeout: float = 300) -> str:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "NO_COLOR": "1"}
    for var in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTEST_XDIST_WORKER", "PYTEST_CURRENT_TEST"):
        env.pop(var, None)
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    out = f"$ {' '.join(args)}\n{done.stdout}{done.stderr}"
    assert done.returncode == 0, out
    return out


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of the repository with a new service, its example slice and two more slices."""
    repo = tmp_path_factory.mktemp("scaffold") / "fleet"
    copy_repository(repo)
    run(repo, "make", "new-service", f"NAME={SERVICE}", "DESCRIPTION=Entries of a ledger.")
    run(repo, "make", "new-slice", f"SERVICE={SERVICE}", "SLICE=entry/add_entry")
    run(repo, "make", "new-slice", "SERVICE=identity", "SLICE=account/update_password")
    yield repo
    asyncio.run(_drop_templates(f"tmpl_{SERVICE}_"))


async def _drop_templates(prefix: str) -> None:
    """The generated service's template databases (named for it alone, so no one else's)."""
    admin = await asyncpg.connect(admin_dsn())
    try:
        rows = await admin.fetch("SELECT datname FROM pg_database WHERE starts_with(datname, $1)", prefix)
        for row in rows:
            await admin.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.mark.timeout(900)
def test_generated_code_passes_lint_types_contracts_and_standards(generated: Path) -> None:
    touched = [
        f"services/{SERVICE}",
        "services/identity/src/identity/app.py",
        "services/identity/src/identity/features/account/update_password",
        "services/identity/tests/features/account/test_update_password.py",
    ]
    # ruff on what the scaffolder wrote or edited: the rest of the tree is `make ruff`'s business.
    run(generated, "uv", "run", "--frozen", "ruff", "check", *touched)
    run(generated, "uv", "run", "--frozen", "ruff", "format", "--check", *touched)
    run(generated, "uv", "run", "--frozen", "mypy", "-p", SERVICE, "-p", "identity")
    run(generated, "make", "imports")
    run(generated, "uv", "run", "--frozen", "pytest", "tests/standards", "-q", "-n", "2")


@pytest.mark.timeout(900)
def test_generated_tests_pass_against_the_real_database(generated: Path) -> None:
    out = run(
        generated,
        "uv",
        "run",
        "--frozen",
        "pytest",
        "-q",
        f"services/{SERVICE}/tests",
        "services/identity/tests/features/account/test_update_password.py",
    )
    assert "passed" in out


def test_the_generated_service_is_laid_out_like_identity(generated: Path) -> None:
    package = generated / "services" / SERVICE / "src" / SERVICE
    for rel in ("__init__.py", "__main__.py", "app.py", "settings.py", "py.typed", "migrations/0001_init.sql"):
        assert (package / rel).is_file(), rel
    slice_dir = package / "features" / SERVICE / f"add_{SERVICE}_note"
    assert sorted(p.name for p in slice_dir.glob("*.py")) == [
        "__init__.py",
        "command.py",
        "handler.py",
        "queries.py",
        "router.py",
        "schema.py",
    ]
    assert sorted(p.name for p in (package / "migrations").glob("*.sql")) == [
        "0001_init.sql",
        f"0002_add_{SERVICE}_note.sql",
        "0003_add_entry.sql",
    ]
    # Its image comes from the one services/Dockerfile (--build-arg SERVICE=<name>): no file of its own.
    assert not (generated / "services" / SERVICE / "Dockerfile").exists()
    assert f'"{SERVICE}"' in (generated / "uv.lock").read_text()


def test_new_slice_refuses_an_existing_slice_and_writes_nothing(generated: Path) -> None:
    app_py = generated / "services" / "identity" / "src" / "identity" / "app.py"
    before = app_py.read_text()
    done = subprocess.run(
        ["make", "new-slice", "SERVICE=identity", "SLICE=account/update_password"],
        cwd=generated,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "already exists" in done.stderr
    assert app_py.read_text() == before
    assert app_py.read_text().count("update_password.plugin") == 1
