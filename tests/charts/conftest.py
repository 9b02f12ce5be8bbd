"""Render the charts with helm and hand the tests the parsed objects.

helm comes from .tools/bin (`make tools`) or PATH; the umbrella's dependency is built once per
session (`helm dependency build`), so the tests run the same way from `make` or plain pytest.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
UMBRELLA = ROOT / "charts" / "fleet"
GENERIC = ROOT / "charts" / "fleet-service"
VALUES_FILES = ("values.yaml", "values-kind.yaml", "values-production.yaml")
SERVICES = ("identity", "avatars", "social")
RELEASE = "fleet"


def helm_binary() -> str:
    local = ROOT / ".tools" / "bin" / "helm"
    found = str(local) if local.exists() else shutil.which("helm")
    if found is None:
        pytest.fail("helm is not installed: run `make tools`")
    return found


class RenderError(Exception):
    """helm template failed; the message is helm's stderr."""


def render(
    chart: Path = UMBRELLA, values: tuple[str, ...] = ("values.yaml",), sets: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    cmd = [helm_binary(), "template", RELEASE, str(chart), "-n", RELEASE]
    for name in values:
        path = Path(name) if Path(name).is_absolute() else chart / name
        cmd += ["-f", str(path)]
    for item in sets:
        cmd += ["--set", item]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=os.environ.copy())
    if done.returncode != 0:
        raise RenderError(done.stderr)
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@pytest.fixture(scope="session", autouse=True)
def _umbrella_dependencies(tmp_path_factory: pytest.TempPathFactory) -> None:
    # xdist workers share the chart folder: one builds, the others wait on the lock.
    lock = tmp_path_factory.getbasetemp().parent / "fleet-chart-deps.lock"
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        subprocess.run([helm_binary(), "dependency", "build", str(UMBRELLA)], check=True, capture_output=True)


@pytest.fixture(scope="session", params=VALUES_FILES)
def manifests(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return render(values=(request.param,))


@pytest.fixture(scope="session")
def production() -> list[dict[str, Any]]:
    return render(values=("values-production.yaml",))


@pytest.fixture(scope="session")
def kind() -> list[dict[str, Any]]:
    return render(values=("values-kind.yaml",))


def find(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    for doc in docs:
        if doc["kind"] == kind and doc["metadata"]["name"] == name:
            return doc
    names = [f"{d['kind']}/{d['metadata']['name']}" for d in docs]
    pytest.fail(f"{kind}/{name} not rendered; have {names}")


def pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    if doc["kind"] == "Pod":
        return doc["spec"]
    if doc["kind"] in {"Deployment", "StatefulSet", "Job", "DaemonSet"}:
        return doc["spec"]["template"]["spec"]
    return None


def service_container(docs: list[dict[str, Any]], service: str) -> dict[str, Any]:
    deployment = find(docs, "Deployment", f"{RELEASE}-{service}")
    (container,) = (c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == service)
    return container
