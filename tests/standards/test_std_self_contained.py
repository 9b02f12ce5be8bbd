"""The repository stands alone: no tracked file points at a folder beside it (a user's clone has none)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from fleet_standards.core import REPO

#: Paths that exist only beside this repository on the machine it was written on, and the team's
#: own design notes there, which no user has (a section sign after the notes' name).
OUTSIDE = re.compile(r"\.\./" + r"shared\b|/work/" + r"shared\b|\bDESIGN" + r"(\.md|\s*§)")


def outside_references(root: Path, files: list[str]) -> list[str]:
    """``file:line`` of every reference to a folder outside the repository."""
    found = []
    for name in files:
        path = root / name
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        found += [f"{name}:{n}" for n, line in enumerate(text.splitlines(), start=1) if OUTSIDE.search(line)]
    return found


def tracked(root: Path) -> list[str]:
    """The files git would commit; every file below ``root`` when it is not a git checkout (a copy)."""
    if not (root / ".git").exists():
        skip = {".venv", ".git", ".tools", ".cache", ".dev", "node_modules", "__pycache__"}
        return [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and not skip & set(p.parts)]
    done = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.splitlines()


def test_no_file_points_outside_the_repository() -> None:
    found = outside_references(REPO, tracked(REPO))
    assert not found, "references to folders beside the repository:\n" + "\n".join(found)


def test_the_check_catches_a_planted_reference(tmp_path: Path) -> None:
    (tmp_path / "mk").mkdir()
    (tmp_path / "mk" / "tools.mk").write_text("tools:\n\t$(CURDIR)/../" + "shared/tools/install $(TOOLS_BIN)\n")
    (tmp_path / "README.md").write_text("clean\nas the design says (DESIGN " + "§4)\n")
    assert outside_references(tmp_path, ["mk/tools.mk", "README.md"]) == ["mk/tools.mk:2", "README.md:2"]
