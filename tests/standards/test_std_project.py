# ruff: noqa: PLW2901 - planted samples and messages read better unwrapped
"""Project-level checks: the lock, Python version, uv-only tooling, Dockerfiles, and the
import-linter and ruff configuration, each proven on a planted violation."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import plant_tree
from fleet_standards import allowlists, project
from fleet_standards.core import KIT_PACKAGE, REPO, service_packages

BIN = Path(sys.executable).parent


# --- uv.lock ------------------------------------------------------------------------------------


def test_lock_has_no_pydantic_or_rival_stack() -> None:
    found = project.check_lock(REPO / "uv.lock")
    assert not found, "\n".join(map(str, found))


def test_lock_check_catches_pydantic(tmp_path: Path) -> None:
    lock = tmp_path / "uv.lock"
    lock.write_text(
        textwrap.dedent(
            """
            version = 1
            [[package]]
            name = "litestar"
            version = "2.0"
            dependencies = [{ name = "msgspec" }, { name = "pydantic" }]
            [[package]]
            name = "pydantic-core"
            version = "2.0"
            [[package]]
            name = "msgspec"
            version = "0.19"
            """
        )
    )
    found = project.check_lock(lock)
    assert sorted(v.message for v in found) == [
        "litestar depends on pydantic",
        "package pydantic-core in uv.lock",
    ]


# --- Python version, uv only -------------------------------------------------------------------


def test_python_is_3_13_or_newer() -> None:
    found = project.check_python_version(REPO)
    assert not found, "\n".join(map(str, found))


def test_python_version_check_catches_old_python(tmp_path: Path) -> None:
    (tmp_path / ".python-version").write_text("3.12\n")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nrequires-python = ">=3.11"\n')
    assert {v.path.name for v in project.check_python_version(tmp_path)} == {
        ".python-version",
        "pyproject.toml",
    }


def test_uv_is_the_only_package_manager() -> None:
    found = project.check_uv_only(REPO)
    assert not found, "\n".join(map(str, found))


def test_uv_only_check_catches_pip_and_poetry(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.poetry]\nname = "x"\n')
    (tmp_path / "requirements.txt").write_text("litestar\n")
    (tmp_path / "Makefile").write_text("ok:\n\tpip install uv==0.8\nbad:\n\tpip install -r requirements.txt\n")
    found = project.check_uv_only(tmp_path)
    assert sorted(v.path.name for v in found) == [
        "Makefile",
        "pyproject.toml",
        "requirements.txt",
        "uv.lock",
    ]


# --- Dockerfiles -------------------------------------------------------------------------------


@pytest.mark.parametrize("dockerfile", project.dockerfiles(REPO), ids=lambda p: str(p.relative_to(REPO)))
def test_dockerfiles_are_staged_slim_and_non_root(dockerfile: Path) -> None:
    found = project.check_dockerfile(dockerfile)
    assert not found, "\n".join(map(str, found))


def test_dockerfile_check_catches_single_stage_root_image(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text('FROM python:3.13\nCOPY --from=ghcr.io/astral-sh/uv /uv /bin/uv\nCMD ["python"]\n')
    assert len(project.check_dockerfile(bad)) == 4
    good = tmp_path / "Dockerfile.good"
    good.write_text(
        'ARG PY=python:3.13-slim\nFROM ${PY} AS build\nRUN true\nFROM ${PY} AS runtime\nUSER 10001:10001\nCMD ["x"]\n'
    )
    assert project.check_dockerfile(good) == []
    assert project.check_dockerfile(tmp_path / "missing" / "Dockerfile")[0].message == "Dockerfile missing"


# --- import-linter -----------------------------------------------------------------------------


def _packages() -> list[str]:
    return [KIT_PACKAGE, *(p.name for p in service_packages())]


def test_import_contracts_cover_every_service() -> None:
    found = project.check_importlinter_covers(REPO / "pyproject.toml", _packages())
    assert not found, "\n".join(map(str, found))


def test_import_contract_coverage_check_catches_a_new_service() -> None:
    found = project.check_importlinter_covers(REPO / "pyproject.toml", [*_packages(), "newsvc"])
    assert {v.message for v in found} >= {
        "newsvc not in root_packages",
        "no slices contract for newsvc",
        "no services contract for newsvc",
        "no features contract for newsvc",
        "no shared contract for newsvc",
    }


def _contracts_for(package: str) -> str:
    """The contracts pyproject.toml states for identity, re-targeted at a planted package."""
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    other = f"{package}peer"
    lines = [
        f"[importlinter]\nroot_packages =\n    {KIT_PACKAGE}\n    {package}\n    {other}\n"
        "include_external_packages = True\n"
    ]
    for contract in config["contracts"]:
        if contract["id"] == "kit-no-services":
            contract = {**contract, "forbidden_modules": [package]}
        elif contract["id"] == "services-independent":
            contract = {**contract, "modules": [package, other]}
        elif contract["id"].startswith("identity-"):
            contract = json.loads(json.dumps(contract).replace("identity", package))
        else:
            continue
        lines.append(f"[importlinter:contract:{contract['id']}]")
        for key, value in contract.items():
            if key == "id":
                continue
            if isinstance(value, list):
                value = "\n" + "\n".join(f"    {v}" for v in value)
            lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"


def _kit_modules_named() -> set[str]:
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    named = {m for c in config["contracts"] for m in c.get("forbidden_modules", [])}
    return {m for m in named if m.startswith(f"{KIT_PACKAGE}.")}


def test_import_contracts_catch_planted_violations(tmp_path: Path) -> None:
    slice_a, slice_b = "plantsvc/features/account/register/", "plantsvc/features/account/log_in/"
    src = plant_tree(
        tmp_path,
        {
            slice_a + "handler.py": "from litestar import Request\nfrom ..log_in import queries\n",
            slice_b + "queries.py": "X = 1\n",
            f"{KIT_PACKAGE}/__init__.py": "",
            f"{KIT_PACKAGE}/leak.py": "import plantsvc.features\n",
            # a service reaching into another service's package (here through a module-level import
            # in a plain helper, the spelling a careless developer would write)
            "plantsvc/pricing.py": "from plantsvcpeer.rules import LIMIT\n",
            "plantsvcpeer/rules.py": "LIMIT = 3\n",
            # a module shared by slices that reaches into one and answers HTTP itself
            "plantsvc/accounts.py": "from litestar import Response\n"
            "from plantsvc.features.account.log_in import queries\n",
            # what is allowed: app.py mounts slices and builds the app, routers speak HTTP
            "plantsvc/app.py": "from litestar import Litestar\nfrom fleetkit.app import create\n"
            "from plantsvc.features.account.register import router\n",
            slice_a + "router.py": "from litestar import post\nfrom fleetkit.responses import Response\n",
            # the kit modules the contracts name must exist for import-linter
            **{f"{module.replace('.', '/')}.py": "" for module in _kit_modules_named()},
        },
    )
    config = tmp_path / "contracts.ini"
    config.write_text(_contracts_for("plantsvc"))
    done = subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache", "--config", str(config)],
        cwd=src,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PYTHONPATH": str(src), "PATH": str(BIN)},
    )
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert out.count("BROKEN") == 6, out
    assert "Services never import each other's packages" in out, out
    assert "plantsvc.accounts is not allowed to import litestar" in out, out
    assert "- plantsvc.accounts -> plantsvc.features.account.log_in.queries" in out, out
    assert "plantsvc.app" not in out.split("Broken contracts")[-1], out


# --- ruff rules the standards table cites --------------------------------------------------------

RUFF_SAMPLES = {
    "B006": "def f(items: list[int] = []) -> None:\n    pass\n",
    "BLE001": "def f() -> None:\n    try:\n        pass\n    except Exception:\n        print(1)\n",
    "E722": "def f() -> None:\n    try:\n        pass\n    except:\n        print(1)\n",
    "DTZ005": "import datetime\n\nX = datetime.datetime.now()\n",
    "ASYNC251": "import time\n\n\nasync def f() -> None:\n    time.sleep(1)\n",
    "ANN001": "def f(x) -> None:\n    pass\n",
    "S608": 'def f(t: str) -> str:\n    return f"SELECT * FROM x WHERE a = {t}"\n',
}


@pytest.mark.parametrize("rule", sorted(RUFF_SAMPLES))
def test_ruff_config_catches_planted_violation(rule: str, tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(RUFF_SAMPLES[rule])
    ruff = shutil.which("ruff", path=str(BIN)) or "ruff"
    done = subprocess.run(
        [
            ruff,
            "check",
            "--config",
            str(REPO / "pyproject.toml"),
            "--output-format",
            "json",
            "--no-cache",
            str(sample),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    codes = {d["code"] for d in json.loads(done.stdout or "[]")}
    assert rule in codes, done.stdout + done.stderr


# --- allow-lists -------------------------------------------------------------------------------


def test_allow_list_entries_name_existing_kit_modules() -> None:
    kit = REPO / "base-image" / "fleetkit" / "src"
    stale = [
        f"{rule}: {module}"
        for rule, entries in allowlists.ALL.items()
        for module in entries
        if not (kit / (module.replace(".", "/") + ".py")).is_file()
        and not (kit / module.replace(".", "/") / "__init__.py").is_file()
    ]
    assert not stale, "allow-list entries for modules that do not exist: " + ", ".join(stale)
