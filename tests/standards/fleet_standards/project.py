"""Checks over project files: the lock, Python version, uv-only tooling, Dockerfiles,
and the import-linter contracts' coverage."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from pathlib import Path

from .core import KIT_PACKAGE, Violation

_FORBIDDEN_PACKAGES = re.compile(
    r"^(pydantic.*|fastapi.*|flask.*|django.*|sanic.*|quart|starlette|uvicorn|gunicorn|hypercorn|sqlalchemy.*|"
    r"psycopg.*|databases|tortoise-orm|peewee|orjson|ujson|trio|gevent|eventlet)$"
)


def _line_of(text: str, needle: str) -> int:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else 1


def check_lock(lock: Path) -> list[Violation]:
    """uv.lock (parsed as TOML) holds no pydantic and no rival of the chosen stack, neither as a
    package nor as anyone's dependency."""
    text = lock.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    found = []
    for package in data.get("package", []):
        name = package["name"]
        if _FORBIDDEN_PACKAGES.match(name):
            found.append(
                Violation(
                    lock,
                    _line_of(text, f'name = "{name}"'),
                    "lock-stack",
                    f"package {name} in uv.lock",
                )
            )
        deps = list(package.get("dependencies", []))
        for group in (package.get("optional-dependencies") or {}).values():
            deps += group
        for group in (package.get("dev-dependencies") or {}).values():
            deps += group
        for dep in deps:
            if _FORBIDDEN_PACKAGES.match(dep.get("name", "")):
                found.append(
                    Violation(
                        lock,
                        _line_of(text, f'name = "{name}"'),
                        "lock-stack",
                        f"{name} depends on {dep['name']}",
                    )
                )
    return found


def _version_at_least(spec: str, minimum: tuple[int, int]) -> bool:
    match = re.search(r">=\s*(\d+)\.(\d+)", spec)
    return bool(match) and (int(match[1]), int(match[2])) >= minimum


def check_python_version(repo: Path, minimum: tuple[int, int] = (3, 13)) -> list[Violation]:
    """``.python-version`` and every ``requires-python`` ask for Python >= 3.13."""
    found = []
    pinned = repo / ".python-version"
    if not pinned.is_file():
        found.append(Violation(pinned, 1, "python-3.13", ".python-version missing"))
    else:
        parts = pinned.read_text(encoding="utf-8").strip().split(".")
        if len(parts) < 2 or (int(parts[0]), int(parts[1])) < minimum:
            found.append(Violation(pinned, 1, "python-3.13", f"pins {'.'.join(parts)}"))
    for pyproject in _pyprojects(repo):
        spec = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {}).get("requires-python", "")
        if not _version_at_least(spec, minimum):
            found.append(Violation(pyproject, 1, "python-3.13", f"requires-python = {spec!r}"))
    return found


def _pyprojects(repo: Path) -> list[Path]:
    return sorted(
        [
            repo / "pyproject.toml",
            *repo.glob("base-image/*/pyproject.toml"),
            *repo.glob("services/*/pyproject.toml"),
        ]
    )


_NOT_UV_FILES = (
    "requirements*.txt",
    "requirements*.in",
    "poetry.lock",
    "Pipfile",
    "Pipfile.lock",
    "setup.py",
    "setup.cfg",
    "pdm.lock",
)
_PIP_INSTALL = re.compile(
    r"(?<!uv )\b(pip3?|python3?\s+-m\s+pip)\s+install\b(?![^\n]*\buv\b)|\bpoetry\s+(install|add)\b"
)


def _tooling_files(repo: Path) -> list[Path]:
    files = [
        repo / "Makefile",
        *repo.glob("mk/*.mk"),
        *repo.glob(".ci/*"),
        *repo.glob(".github/workflows/*"),
        *repo.glob("**/Dockerfile*"),
        *repo.glob("scripts/*"),
        *repo.glob("**/*.sh"),
    ]
    return sorted({f for f in files if f.is_file() and ".venv" not in f.parts and ".git" not in f.parts})


def check_uv_only(repo: Path) -> list[Violation]:
    """uv manages packages: no requirements/poetry/pipenv/setup.py files, no ``pip install`` of
    anything but uv itself in Makefiles, CI, scripts and Dockerfiles."""
    found = []
    for pattern in _NOT_UV_FILES:
        for path in (
            *repo.glob(pattern),
            *repo.glob(f"base-image/*/{pattern}"),
            *repo.glob(f"services/*/{pattern}"),
        ):
            found.append(Violation(path, 1, "uv-only", f"{path.name}: uv.lock and pyproject.toml only"))
    pyproject = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))
    if "poetry" in pyproject.get("tool", {}):
        found.append(Violation(repo / "pyproject.toml", 1, "uv-only", "[tool.poetry] section"))
    if not (repo / "uv.lock").is_file():
        found.append(Violation(repo / "uv.lock", 1, "uv-only", "uv.lock missing"))
    for file in _tooling_files(repo):
        text = file.read_text(encoding="utf-8", errors="replace")
        for match in _PIP_INSTALL.finditer(text):
            found.append(Violation(file, _line_of(text, match[0]), "uv-only", f"{match[0]!r}: use uv"))
    return found


def _stages(lines: list[str]) -> list[tuple[int, str]]:
    """(line, image) of every FROM, ``${ARG}`` replaced by the ARG's default."""
    args: dict[str, str] = {}
    stages = []
    for number, line in enumerate(lines, 1):
        arg = re.match(r"\s*ARG\s+(\w+)=(\S+)", line, re.IGNORECASE)
        if arg:
            args[arg[1]] = arg[2].strip("\"'")
        match = re.match(r"\s*FROM\s+(?:--\S+\s+)*(\S+)", line, re.IGNORECASE)
        if match:
            image = re.sub(r"\$\{?(\w+)\}?", lambda v: args.get(v[1], v[0]), match[1])
            stages.append((number, image))
    return stages


_SLIM_IMAGE = re.compile(r"slim|distroless|^fleet/base(:|@|$)", re.IGNORECASE)
_BUILD_TOOLS_IN_RUNTIME = re.compile(r"COPY\s+--from=\S*uv\b|apt-get\s+install[^\n]*\b(gcc|build-essential|make)\b")


def check_dockerfile(path: Path) -> list[Violation]:
    """Multi-stage; the last stage on a slim base (or the fleet runtime base) with no build
    tools (no uv, no compilers), run as a non-root user."""
    if not path.is_file():
        return [Violation(path, 1, "docker-staged-slim", "Dockerfile missing")]
    lines = path.read_text(encoding="utf-8").replace("\\\n", " ").splitlines()
    stages = _stages(lines)
    found = []
    if len(stages) < 2:
        found.append(Violation(path, 1, "docker-staged-slim", "single-stage build"))
    if stages:
        line, image = stages[-1]
        if not _SLIM_IMAGE.search(image):
            found.append(Violation(path, line, "docker-staged-slim", f"final stage FROM {image} is not slim"))
        last = lines[line - 1 :]
        for offset, text in enumerate(last):
            if _BUILD_TOOLS_IN_RUNTIME.search(text):
                found.append(Violation(path, line + offset, "docker-staged-slim", "build tools in the final stage"))
        users = [u.split()[1] for u in last if u.strip().upper().startswith("USER ") and len(u.split()) > 1]
        if not users or users[-1].split(":")[0] in {"root", "0"}:
            found.append(
                Violation(
                    path,
                    line,
                    "docker-staged-slim",
                    "final stage does not switch to a non-root USER",
                )
            )
    return found


def dockerfiles(repo: Path) -> list[Path]:
    """The base image's Dockerfile and the one every service image is built from (``--build-arg
    SERVICE=<name>``); missing ones included, to be reported."""
    return [repo / "base-image" / "Dockerfile", repo / "services" / "Dockerfile"]


def check_importlinter_covers(config: Path, packages: Iterable[str]) -> list[Violation]:
    """``[tool.importlinter]`` lists every package as a root, and every service has its contracts:
    handlers free of HTTP code, slices independent, only ``app`` importing ``features``, modules
    beside ``features`` free of Litestar, the kit not importing it, and services independent of
    each other (one ``independence`` contract naming every service)."""
    data = tomllib.loads(config.read_text(encoding="utf-8")).get("tool", {}).get("importlinter", {})
    roots = set(data.get("root_packages", []))
    contracts = data.get("contracts", [])
    found = []
    for package in packages:
        if package not in roots:
            found.append(Violation(config, 1, "import-contracts", f"{package} not in root_packages"))
        if package == KIT_PACKAGE:
            continue
        handler = f"{package}.features.*.*.handler"
        wanted = {
            "handlers": any(c.get("type") == "forbidden" and handler in c.get("source_modules", []) for c in contracts),
            "slices": any(
                c.get("type") == "independence" and f"{package}.features.*.*" in c.get("modules", []) for c in contracts
            ),
            "features": any(
                c.get("type") == "protected"
                and f"{package}.features" in c.get("protected_modules", [])
                and c.get("allowed_importers") == [f"{package}.app"]
                for c in contracts
            ),
            "shared": any(
                c.get("type") == "forbidden"
                and f"{package}.*" in c.get("source_modules", [])
                and "litestar" in c.get("forbidden_modules", [])
                for c in contracts
            ),
            "kit": any(
                c.get("type") == "forbidden"
                and KIT_PACKAGE in c.get("source_modules", [])
                and package in c.get("forbidden_modules", [])
                for c in contracts
            ),
            "services": any(
                c.get("type") == "independence" and package in c.get("modules", []) and len(c.get("modules", [])) > 1
                for c in contracts
            ),
        }
        found += [
            Violation(config, 1, "import-contracts", f"no {k} contract for {package}")
            for k, ok in wanted.items()
            if not ok
        ]
    return found
