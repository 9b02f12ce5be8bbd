"""services/Dockerfile builds every service image; a missing or unknown SERVICE stops it, saying why."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.images.conftest import ROOT

pytestmark = pytest.mark.docker


def build(base_image: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``docker build -f services/Dockerfile`` with the CLI scripts/images/build.sh picks (BuildKit)."""
    network = ["--network", os.environ["DOCKER_BUILD_NETWORK"]] if os.environ.get("DOCKER_BUILD_NETWORK") else []
    prefix, tag = base_image.rsplit("/", 1)[0], base_image.rsplit(":", 1)[1]
    command = [
        "build",
        *network,
        "--build-arg",
        f"BASE_BUILD_IMAGE={prefix}/base-build:{tag}",
        "--build-arg",
        f"BASE_RUNTIME_IMAGE={base_image}",
        *args,
        "-f",
        "services/Dockerfile",
        ".",
    ]
    script = 'source scripts/images/lib.sh && exec "${DOCKER}" "$@"'
    return subprocess.run(
        ["bash", "-c", script, "docker-build", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "the SERVICE build argument is missing: --build-arg SERVICE=<one of: avatars identity social>"),
        (("--build-arg", "SERVICE=ledger"), "SERVICE=ledger is not a fleet service with an app (one of:"),
        (("--build-arg", "SERVICE=../base-image"), "SERVICE=../base-image is not a service name (one of:"),
    ],
    ids=["missing", "unknown", "path"],
)
def test_a_missing_or_unknown_service_fails_the_build_naming_the_services(
    base_image: str, args: tuple[str, ...], message: str
) -> None:
    result = build(base_image, *args)
    assert result.returncode != 0
    assert f"services/Dockerfile: {message}" in result.stdout + result.stderr, result.stderr[-3000:]
