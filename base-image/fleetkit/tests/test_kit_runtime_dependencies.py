"""What an image installs is what the shipped code needs: no test-only package in the runtime.

Every image installs its service with ``uv sync --no-dev`` (services/Dockerfile), so the runtime
set is what ``uv export --no-dev --package <service>`` lists. Packages that only tests use (the
official OTLP protobuf classes the kit's encoder tests parse with, pytest, linters) belong in the
workspace's ``dev`` dependency group, never in a member's ``dependencies``.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SERVICES = tuple(sorted(p.parent.name for p in (ROOT / "services").glob("*/pyproject.toml")))
MEMBERS = {"fleetkit": ROOT / "base-image" / "fleetkit", **{name: ROOT / "services" / name for name in SERVICES}}

#: Test-only packages an image must never hold: protobuf and the OTLP classes built on it (the kit
#: writes OTLP bytes itself, fleetkit/otlp_encode.py) and the test and lint tools.
TEST_ONLY = frozenset(
    {"protobuf", "opentelemetry-proto", "opentelemetry-exporter-otlp-proto-common", "pytest", "mypy", "ruff"}
)
#: Runtime dependencies that run without being imported by the shipped code, and why.
RUN_NOT_IMPORTED = {
    "granian": "the server every image's CMD runs",
    "uvloop": "the event loop Granian picks when it is installed",
}


def _name(requirement: str) -> str:
    found = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert found, requirement
    return re.sub(r"[-_.]+", "-", found.group()).lower()


def _uv() -> str:
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        pytest.fail("uv is not on PATH (the project's package manager; see the README's setup)")
    return uv


@cache
def runtime_packages(service: str) -> frozenset[str]:
    """The packages ``uv sync --no-dev --package <service>`` installs, by normalised name."""
    result = subprocess.run(
        [_uv(), "export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-workspace", "--package", service],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = (line.strip() for line in result.stdout.splitlines())
    return frozenset(_name(line) for line in lines if line and not line.startswith(("#", "-e", "./")))


def shipped_imports(member: str) -> frozenset[str]:
    """Every dotted module name a member's src/ imports (``from a import b`` counts ``a`` and ``a.b``)."""
    names: set[str] = set()
    for path in (MEMBERS[member] / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return frozenset(names)


def provided_modules(distribution: str) -> frozenset[str]:
    """The dotted module names an installed distribution's files define (namespace parents excluded)."""
    files = importlib.metadata.distribution(distribution).files or ()
    modules = set()
    for file in files:
        if file.suffix not in {".py", ".so", ".pyd"} or ".." in file.parts or file.parts[0].endswith(".data"):
            continue
        parts = [*file.parts[:-1], file.name.split(".", 1)[0]]
        if parts[-1] == "__init__":
            parts.pop()
        if parts:
            modules.add(".".join(parts))
    return frozenset(modules)


def declared(member: str) -> list[str]:
    project = tomllib.loads((MEMBERS[member] / "pyproject.toml").read_text("utf-8"))["project"]
    return [_name(req) for req in project.get("dependencies", []) if _name(req) not in MEMBERS]


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_runtime_holds_no_test_only_package(service: str) -> None:
    packages = runtime_packages(service)
    assert "litestar" in packages, f"the export of {service} lists no Litestar: {sorted(packages)}"
    assert not packages & TEST_ONLY, f"{service}'s image would install {sorted(packages & TEST_ONLY)}"


@pytest.mark.parametrize("member", sorted(MEMBERS))
def test_every_runtime_dependency_is_imported_by_shipped_code(member: str) -> None:
    """A dependency only tests import belongs in the dev group, where `uv sync --no-dev` leaves it out."""
    imports = shipped_imports(member)
    unused = [
        name for name in declared(member) if name not in RUN_NOT_IMPORTED and not provided_modules(name) & imports
    ]
    assert not unused, f"{member} declares {unused} as runtime dependencies but its src/ never imports them"


def test_the_import_check_sees_a_test_only_dependency() -> None:
    """The check above is not blind: the OTLP protobuf classes are installed (dev) and src/ never imports them."""
    assert not provided_modules("opentelemetry-proto") & shipped_imports("fleetkit")
    assert provided_modules("opentelemetry-proto") & {"opentelemetry.proto.trace.v1.trace_pb2"}
    assert provided_modules("opentelemetry-sdk") & shipped_imports("fleetkit")


def test_serving_imports_no_protobuf() -> None:
    """Building every service's app (exporter included) loads neither protobuf nor the SDK's OTLP encoder."""
    apps = "; ".join(f"import {service}.app" for service in SERVICES)
    probe = (
        f"import sys, fleetkit.otlp, fleetkit.otlp_encode, fleetkit.telemetry; {apps}; "
        "import opentelemetry.instrumentation.aiohttp_client; "
        "print(sorted(m for m in sys.modules if m.startswith(('google.protobuf', 'opentelemetry.proto', "
        "'opentelemetry.exporter'))))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
