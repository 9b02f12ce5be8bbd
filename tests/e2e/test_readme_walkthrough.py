"""The README's curl walk-through runs as written, against the fleet under test.

The block between ``<!-- walkthrough:start -->`` and ``<!-- walkthrough:end -->`` is run by bash
with ``-e -o pipefail`` (its ``api`` helper is ``curl --fail-with-body``, so any 4xx/5xx stops it),
with the service URLs and a fresh e-mail in the environment, in an empty folder (it writes two
SVG files). If the API changes under the README, this fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
_BLOCK = re.compile(r"<!-- walkthrough:start -->\s*```bash\n(.*?)```\s*<!-- walkthrough:end -->", re.DOTALL)


def walkthrough() -> str:
    found = _BLOCK.search(README.read_text(encoding="utf-8"))
    assert found, "README.md has no walkthrough block between the markers"
    return found.group(1)


def test_the_readme_walkthrough_runs_as_written(fleet, tmp_path: Path) -> None:
    assert shutil.which("curl"), "the README walk-through needs curl (apt-get install curl, brew install curl)"
    env = {
        **os.environ,
        "IDENTITY_URL": fleet.url("identity"),
        "AVATARS_URL": fleet.url("avatars"),
        "SOCIAL_URL": fleet.url("social"),
        "EMAIL": f"readme-{uuid.uuid4().hex[:12]}@example.com",
    }
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", walkthrough()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, f"exit {done.returncode}\n--- stdout\n{out}\n--- stderr\n{done.stderr}"
    assert "me: " in out
    assert "avatar: " in out
    assert "conditional GET: 304" in out
    assert "Captain Pixel II" in out
    assert "Finished my avatar today!" in out
    assert "logout: 204" in out
    assert (tmp_path / "avatar.svg").read_text().lstrip().startswith("<svg")
    assert (tmp_path / "preview.svg").read_text().lstrip().startswith("<svg")
