"""Reading images layer by layer: the files every layer holds, the bytes above a base image."""

from __future__ import annotations

import json
import subprocess
import tarfile
from typing import IO

from tests.images.conftest import DOCKER, docker


def _names(layer: IO[bytes]) -> list[str]:
    with tarfile.open(fileobj=layer, mode="r|") as inner:
        return [member.name.removeprefix("./") for member in inner]


def image_files(image: str) -> set[str]:
    """Every path in every layer of ``image`` (whiteouts included), from ``docker save``."""
    paths: set[str] = set()
    with subprocess.Popen([DOCKER, "save", image], stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        with tarfile.open(fileobj=proc.stdout, mode="r|") as outer:
            for member in outer:
                if not member.isfile() or not (member.name.endswith("layer.tar") or "/sha256/" in member.name):
                    continue
                extracted = outer.extractfile(member)
                if extracted is None:
                    continue
                try:
                    paths.update(_names(extracted))
                except tarfile.ReadError:  # a blob that is a config or manifest, not a layer
                    continue
    assert proc.returncode == 0
    return paths


def root_layers(image: str) -> list[str]:
    return list(json.loads(docker("image", "inspect", "-f", "{{json .RootFS.Layers}}", image).stdout))


def size(image: str) -> int:
    return int(docker("image", "inspect", "-f", "{{.Size}}", image).stdout)


def added_bytes(image: str, base: str) -> int:
    """Bytes of ``image`` above ``base``; fails unless ``image`` is built on exactly ``base``."""
    base_layers = root_layers(base)
    assert root_layers(image)[: len(base_layers)] == base_layers, f"{image} is not built on {base}"
    return size(image) - size(base)
