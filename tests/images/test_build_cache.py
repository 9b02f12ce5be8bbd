"""A one-line change in one service rebuilds only that service's last layer.

Builds a copy of the build context twice with ``scripts/images/build.sh`` (under its own image tag,
sharing the BuildKit cache of ``make images``): once as it is, once with a comment appended to one
service's app.py. The base images and every other service image must come out identical; the
changed service's image must keep every layer but its last.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.images.conftest import ROOT, docker
from tests.images.layers import root_layers

pytestmark = pytest.mark.docker

TAG = "cachetest"
PREFIX = os.environ.get("IMAGE_PREFIX", "fleet")
COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".cache",
    ".tools",
    ".dev",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
)


def build(context: Path, services: list[str]) -> None:
    env = {**os.environ, "IMAGE_TAG": TAG, "SERVICES": " ".join(services)}
    result = subprocess.run(
        ["bash", str(context / "scripts/images/build.sh")], env=env, text=True, capture_output=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def image_id(name: str) -> str:
    return docker("image", "inspect", "-f", "{{.Id}}", f"{PREFIX}/{name}:{TAG}").stdout.strip()


def test_one_line_change_rebuilds_only_that_service_last_layer(service_images: dict[str, str], tmp_path: Path) -> None:
    services = sorted(service_images)
    changed = services[0]
    context = tmp_path / "context"
    shutil.copytree(ROOT, context, ignore=COPY_IGNORE, symlinks=True)
    try:
        build(context, services)
        before = {name: image_id(name) for name in ("base-build", "base", *services)}
        layers_before = root_layers(f"{PREFIX}/{changed}:{TAG}")

        app = context / "services" / changed / "src" / changed / "app.py"
        app.write_text(app.read_text() + "# a one-line change\n")
        build(context, services)

        after = {name: image_id(name) for name in ("base-build", "base", *services)}
        layers_after = root_layers(f"{PREFIX}/{changed}:{TAG}")
        for name, built_before in before.items():
            if name != changed:
                assert after[name] == built_before, f"{name} was rebuilt by a change in {changed}"
        assert layers_after[:-1] == layers_before[:-1]
        assert layers_after[-1] != layers_before[-1]
    finally:
        tags = [f"{PREFIX}/{name}:{TAG}" for name in ("base-build", "base", *services)]
        docker("rmi", *tags, check=False)
