"""``python -m identity migrate``: the command the chart's init container and ``make dev`` run."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest

from fleetkit.testing import create_database, drop_database


@pytest.fixture
async def empty_database_url() -> AsyncIterator[str]:
    dsn = await create_database("template0")
    yield dsn
    await drop_database(dsn)


def test_python_m_identity_migrate_applies_and_is_idempotent(empty_database_url):
    env = {
        **os.environ,
        "DATABASE_URL": empty_database_url,
        "IDENTITY_SIGNING_KEYS_DIR": "/nonexistent",
        "LOG_LEVEL": "info",
    }
    runs = [
        subprocess.run(
            [sys.executable, "-m", "identity", "migrate"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        for _ in range(2)
    ]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr
    assert "migrate_done" in runs[1].stdout
    assert '"applied":[]' in runs[1].stdout.replace(" ", "")


def test_python_m_identity_migrate_names_a_bad_variable_and_exits_2():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["IDENTITY_SIGNING_KEYS_DIR"] = "/nonexistent"
    run = subprocess.run(
        [sys.executable, "-m", "identity", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2
    assert "DATABASE_URL" in run.stderr
