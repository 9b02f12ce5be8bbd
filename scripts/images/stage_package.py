"""Copy one installed distribution out of the build venv into a staging root.

A service image adds only its own package on top of the shared base runtime, whose venv already
holds every third-party dependency and the kit. This finds the files the distribution installed
(its RECORD), plus the bytecode compiled next to them, and copies them under the staging root at
their absolute paths, so the service Dockerfile can `COPY --from=build /stage/ /`.

Usage: python stage_package.py <distribution> <staging-root>
"""

from __future__ import annotations

import shutil
import sys
from importlib import metadata
from pathlib import Path


def installed_paths(dist: metadata.Distribution) -> set[Path]:
    """Top-level package folders whole (bytecode included) and every other file one by one."""
    site = Path(str(dist.locate_file(""))).resolve()
    paths: set[Path] = set()
    for entry in dist.files or ():
        path = Path(str(dist.locate_file(entry))).resolve()
        if not path.exists():
            continue
        relative = path.relative_to(site) if path.is_relative_to(site) else None
        if relative is not None and len(relative.parts) > 1:
            paths.add(site / relative.parts[0])
        else:
            paths.add(path)
    return paths


def stage(name: str, root: Path) -> list[Path]:
    staged: list[Path] = []
    for path in sorted(installed_paths(metadata.distribution(name))):
        target = root / path.relative_to(path.anchor)
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            shutil.copytree(path, target, symlinks=True, dirs_exist_ok=True)
        else:
            shutil.copy2(path, target, follow_symlinks=False)
        staged.append(path)
    return staged


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        sys.stderr.write(f"usage: {argv[0]} <distribution> <staging-root>\n")
        return 2
    staged = stage(argv[1], Path(argv[2]))
    if not staged:
        sys.stderr.write(f"{argv[1]}: nothing installed to stage\n")
        return 1
    for path in staged:
        sys.stdout.write(f"staged {path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
