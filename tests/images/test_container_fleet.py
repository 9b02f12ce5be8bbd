"""The container fleet of ``make fleet-containers-up``: read-only, non-root, ready."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.images.conftest import RUNTIME_USER, docker

pytestmark = pytest.mark.docker

PORTS = {"identity": 8101, "avatars": 8102, "social": 8103}


@pytest.fixture
def running(service_image: tuple[str, str]) -> str:
    service, _ = service_image
    name = f"fleetc-{service}"
    state = docker("inspect", "-f", "{{.State.Running}}", name, check=False)
    if state.stdout.strip() != "true":
        pytest.fail(f"{name} is not running: run these tests through `make test-images`")
    return name


def test_runs_read_only_as_the_image_user_without_capabilities(running: str) -> None:
    host = json.loads(docker("inspect", "-f", "{{json .HostConfig}}", running).stdout)
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"]
    assert host["NetworkMode"] == "host"
    assert docker("inspect", "-f", "{{.Config.User}}", running).stdout.strip() == RUNTIME_USER


def test_root_filesystem_refuses_writes_and_tmp_takes_them(running: str) -> None:
    denied = docker("exec", running, "sh", "-c", "touch /app/x || touch /opt/venv/x", check=False)
    assert denied.returncode != 0
    assert docker("exec", running, "sh", "-c", "touch /tmp/x && rm /tmp/x", check=False).returncode == 0


def test_is_ready(service_image: tuple[str, str], running: str) -> None:
    service, _ = service_image
    with urllib.request.urlopen(f"http://127.0.0.1:{PORTS[service]}/readyz", timeout=5) as response:
        assert response.status == 200


def test_granian_is_pid_1_serving_the_service_factory(service_image: tuple[str, str], running: str) -> None:
    """The image's shell CMD execs Granian, so SIGTERM reaches Granian itself and it drains."""
    service, _ = service_image
    cmdline = docker("exec", running, "cat", "/proc/1/cmdline").stdout.split("\0")
    assert "granian" in cmdline[0] or "granian" in cmdline[1], cmdline
    assert f"{service}.app:create_app" in cmdline, cmdline
