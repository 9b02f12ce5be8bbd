"""``make dev``'s throwaway PostgreSQL starts from a clone in any folder, as root or not.

The clone is copied under a ``mktemp -d`` folder (mode 0700, as root's home is): as root the
cluster runs as ``postgres``, which cannot enter that folder. Only what the database path of
``scripts/fleet.py`` reads is copied: the script, and an empty services/ (no service is started).
The copy's own ``fleet.py`` starts the cluster, a query runs on it, and its ``db-stop`` stops it.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import asyncpg
import pytest

ROOT = Path(__file__).resolve().parents[2]
#: It runs processes on this machine, so the runs against containers or kind leave it out.
pytestmark = pytest.mark.fleet

START = """
import sys
sys.path.insert(0, sys.argv[1])
import fleet
print(fleet.throwaway_folder())
print(fleet.throwaway_postgres(fleet.throwaway_folder(), int(sys.argv[2])))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _select_one(dsn: str) -> int:
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        return int(await conn.fetchval("SELECT 1"))
    finally:
        await conn.close()


def test_the_throwaway_cluster_starts_from_a_clone_under_a_private_folder() -> None:
    private = Path(tempfile.mkdtemp(prefix="fleet-clone-"))
    assert private.stat().st_mode & 0o777 == 0o700
    clone = private / "fleet"
    (clone / "scripts").mkdir(parents=True)
    (clone / "services").mkdir()
    shutil.copy2(ROOT / "scripts" / "fleet.py", clone / "scripts" / "fleet.py")
    db_stop = [sys.executable, str(clone / "scripts" / "fleet.py"), "db-stop"]
    folder: Path | None = None
    try:
        started = subprocess.run(
            [sys.executable, "-c", START, str(clone / "scripts"), str(_free_port())],
            cwd=clone,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        lines = started.stdout.splitlines()
        folder = Path(lines[0]) if lines else None
        assert started.returncode == 0, started.stdout + started.stderr
        assert asyncio.run(_select_one(lines[-1])) == 1
        stopped = subprocess.run(db_stop, cwd=clone, capture_output=True, text=True, check=False, timeout=60)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    finally:
        subprocess.run(db_stop, cwd=clone, capture_output=True, check=False, timeout=60)  # after a failure
        shutil.rmtree(private)
        if folder is not None and not folder.is_relative_to(private):
            shutil.rmtree(folder, ignore_errors=True)
