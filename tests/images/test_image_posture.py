"""Each service image: non-root numeric user, slim runtime, exact command, labels, thin layer."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.images.conftest import RUNTIME_USER, docker
from tests.images.layers import added_bytes, image_files

pytestmark = pytest.mark.docker

#: A service adds only its own package on top of the shared base runtime.
ADD_LIMIT_BYTES = 5 * 1000 * 1000
OWN_PACKAGES = ("fleetkit", "identity", "avatars", "social")
#: Packages only tests use (base-image/fleetkit/tests/test_kit_runtime_dependencies.py checks the lock).
TEST_ONLY = frozenset({"protobuf", "opentelemetry-proto", "opentelemetry-exporter-otlp-proto-common", "pytest"})
SITE = "opt/venv/lib/python3.13/site-packages/"


def forbidden(path: str) -> bool:
    """Repository metadata, the build tree, uv, key or env files, or tests of the fleet's own packages."""
    parts = path.split("/")
    name = parts[-1]
    own_tests = path.startswith(SITE) and parts[SITE.count("/")] in OWN_PACKAGES and "tests" in parts
    leaked = ".git" in parts or parts[0] == "src" or name in {"uv", "uvx", "current.pem", "previous.pem", ".env"}
    return leaked or name.endswith(".key") or own_tests


def config(image: str) -> dict[str, Any]:
    return dict(json.loads(docker("image", "inspect", "-f", "{{json .Config}}", image).stdout))


def test_runs_as_a_non_root_numeric_user(service_image: tuple[str, str]) -> None:
    _, image = service_image
    assert config(image)["User"] == RUNTIME_USER
    out = docker("run", "--rm", "--network", "host", image, "id", "-u").stdout.strip()
    assert int(out) >= 10000


def test_command_execs_granian_on_the_service_factory(service_image: tuple[str, str]) -> None:
    """One services/Dockerfile: the service is FLEET_SERVICE, which the shell reads, then execs Granian."""
    service, image = service_image
    cfg = config(image)
    assert cfg["Cmd"] == ["sh", "-c", 'exec granian --interface asgi --factory "${FLEET_SERVICE}.app:create_app"']
    env = dict(item.split("=", 1) for item in cfg["Env"])
    assert env["FLEET_SERVICE"] == service
    assert env["GRANIAN_HOST"] == "0.0.0.0"
    assert env["GRANIAN_PORT"] == "8000"
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert cfg["StopSignal"] == "SIGTERM"
    labels = cfg["Labels"]
    assert isinstance(labels, dict)
    assert labels["org.opencontainers.image.title"] == f"fleet-{service}"
    for key in ("version", "revision", "description"):
        assert labels[f"org.opencontainers.image.{key}"]


def test_runtime_has_no_uv_and_no_compiler(service_image: tuple[str, str]) -> None:
    _, image = service_image
    probe = "for tool in uv uvx gcc cc c++ make pip; do command -v $tool && exit 1; done; exit 0"
    result = docker("run", "--rm", "--network", "host", "--entrypoint", "sh", image, "-c", probe, check=False)
    assert result.returncode == 0, f"found in the runtime image: {result.stdout.strip()}"


def test_runtime_holds_no_test_only_package(service_image: tuple[str, str]) -> None:
    """protobuf and the OTLP classes only the kit's tests parse with stay in the dev group."""
    _, image = service_image
    listing = "import importlib.metadata as m; print('\\n'.join(d.metadata['Name'].lower() for d in m.distributions()))"
    installed = set(docker("run", "--rm", "--network", "host", image, "python", "-c", listing).stdout.split())
    assert "litestar" in installed, f"{image}: the listing found no Litestar: {sorted(installed)}"
    assert not installed & TEST_ONLY, f"{image} holds test-only packages: {sorted(installed & TEST_ONLY)}"


def test_migrate_command_is_there(service_image: tuple[str, str]) -> None:
    service, image = service_image
    result = docker("run", "--rm", "--network", "host", image, "python", "-m", service, "--help", check=False)
    assert "migrate" in result.stdout + result.stderr


def test_no_git_tests_secrets_or_build_tree_in_any_layer(service_image: tuple[str, str]) -> None:
    service, image = service_image
    files = image_files(image)
    assert f"{SITE}{service}/app.py" in files, "the layer reader found no service package"
    bad = [path for path in files if forbidden(path)]
    assert not bad, f"{image} layers hold: {bad[:20]}"


def test_service_adds_one_thin_layer_on_the_base(service_image: tuple[str, str], base_image: str) -> None:
    _, image = service_image
    added = added_bytes(image, base_image)
    assert added < ADD_LIMIT_BYTES, f"{image} adds {added / 1e6:.2f} MB over {base_image}"
