from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

Plant = Callable[[Mapping[str, str]], Path]


def plant_tree(root: Path, files: Mapping[str, str]) -> Path:
    """Write ``files`` (paths relative to a ``src`` folder) under ``root/src``, with an
    ``__init__.py`` in every folder, and return that ``src`` folder."""
    src = root / "src"
    for rel, text in files.items():
        path = src / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        folder = path.parent
        while folder != src:
            (folder / "__init__.py").touch(exist_ok=True)
            folder = folder.parent
    return src


@pytest.fixture
def plant(tmp_path: Path) -> Plant:
    counter = iter(range(1000))
    return lambda files: plant_tree(tmp_path / f"t{next(counter)}", files)
