"""The images tier: checks over the built images and the container fleet (``make test-images``).

Needs a Docker engine and the images of ``make images-debian`` (or ``make images``); without them
every test here fails with the reason (``make test-images`` provides both).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKER = os.environ.get("DOCKER", "docker")
PREFIX = os.environ.get("IMAGE_PREFIX", "fleet")
TAG = os.environ.get("IMAGE_TAG", "dev")
SERVICES = ("identity", "avatars", "social")
RUNTIME_USER = "10001:10001"


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DOCKER, *args], check=check, text=True, capture_output=True)


def _unavailable(reason: str) -> None:
    pytest.fail(f"{reason}: run these tests through `make test-images`")


def _written(service: str) -> bool:
    return (ROOT / "services" / service / "src" / service / "app.py").is_file()


def _exists(image: str) -> bool:
    return docker("image", "inspect", image, check=False).returncode == 0


@pytest.fixture(scope="session")
def engine() -> None:
    try:
        answered = docker("info", check=False).returncode == 0
    except FileNotFoundError:
        answered = False
    if not answered:
        _unavailable(f"no Docker engine answers {DOCKER} (make docker-up)")


@pytest.fixture(scope="session")
def base_image(engine: None) -> str:
    image = f"{PREFIX}/base:{TAG}"
    if not _exists(image):
        _unavailable(f"{image} is not built (make images-debian)")
    return image


@pytest.fixture(scope="session")
def service_images(base_image: str) -> dict[str, str]:
    """Every built service image; a service with its app factory written must have one."""
    images = {}
    for service in SERVICES:
        image = f"{PREFIX}/{service}:{TAG}"
        if _exists(image):
            images[service] = image
        elif _written(service):
            pytest.fail(f"services/{service} has its app.py but {image} is not built")
    if not images:
        _unavailable("no service image is built (make images-debian)")
    return images


@pytest.fixture(params=SERVICES)
def service_image(request: pytest.FixtureRequest, service_images: dict[str, str]) -> tuple[str, str]:
    service = str(request.param)
    if service not in service_images:
        pytest.fail(f"{service}: no image built: run these tests through `make test-images`")
    return service, service_images[service]
