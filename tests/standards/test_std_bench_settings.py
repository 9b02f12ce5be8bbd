"""``make bench`` is run by hand, rarely, so nothing else notices when the fleet moves under it:
every service's app is built here with exactly the settings the harness starts it with, and the
FastAPI peer (its own environment) is checked to find every fleet module it borrows."""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest
from fleet_standards.core import REPO

FLEET_PACKAGES = ("fleetkit", "identity", "avatars", "social")


def _bench_run() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", REPO / "bench" / "run.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("service", ["identity", "avatars", "social"])
def test_every_service_starts_with_the_settings_make_bench_gives_it(service: str, tmp_path: Path) -> None:
    run = _bench_run()
    keys = run.fleetlib.generate_keys(tmp_path / "keys")
    dsns = dict.fromkeys(("identity", "avatars", "social"), "postgresql://bench@127.0.0.1:9/unused")
    env = run.fleet_env(service, dsns, keys, {**run.run_settings(), **run.chart_granian_env()})
    built = subprocess.run(
        [sys.executable, "-c", f"from {service}.app import create_app; create_app()"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-2000:]


def _fastapi_peer_borrows() -> tuple[list[str], list[str]]:
    """The FastAPI peer's ``from <fleet package> import`` modules and its ``_FLEET_SOURCES``."""
    tree = ast.parse((REPO / "bench" / "peers" / "fastapi" / "app.py").read_text(encoding="utf-8"))
    borrowed = [
        node.module
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in FLEET_PACKAGES
    ]
    [sources] = [
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "_FLEET_SOURCES" for t in node.targets)
    ]
    return borrowed, list(sources)


def test_the_fastapi_peer_puts_every_fleet_package_its_borrowed_modules_import_on_its_path() -> None:
    """The peer runs in its own environment (no fleet package installed): the modules it borrows
    from the fleet, and whatever fleet package those import, must come from its ``sys.path``."""
    borrowed, sources = _fastapi_peer_borrows()
    assert borrowed, "the peer borrows the fleet's SQL and drawing"
    probe = (
        "import importlib, sys\n"
        f"for name in {borrowed!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & {set(FLEET_PACKAGES)!r})))\n"
    )
    imported = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120, check=True
    ).stdout.split()
    provided = {package for folder in sources for package in FLEET_PACKAGES if folder.endswith(f"/{package}/src")}
    missing = sorted(set(imported) - provided)
    assert not missing, f"bench/peers/fastapi/app.py: _FLEET_SOURCES lacks the source folder of {missing}"
    for folder in sources:
        assert (REPO / folder).is_dir(), folder


@pytest.mark.parametrize("rps", [600.0, 1617.0, 7000.0])
def test_scenario_2_never_runs_out_of_fresh_drafts_at_rates_seen_on_two_cores(rps: float) -> None:
    """A first round has no measurement yet; later ones may run twice as fast as the one before."""
    run = _bench_run()
    for seconds in (3.0, 6.0, 8.0):
        assert run.drafts_for(None, seconds) >= rps * seconds
        assert run.drafts_for(rps / 2, seconds) >= rps * seconds


def test_the_profile_by_layer_gives_interpreter_and_stdlib_frames_to_the_code_that_called_them() -> None:
    spec = importlib.util.spec_from_file_location("bench_shares", REPO / "bench" / "shares.py")
    assert spec is not None
    assert spec.loader is not None
    shares = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shares)
    stacks = [
        "_run_once (asyncio/base_events.py);__call__ (litestar/app.py);verify (fleetkit/auth.py);"
        "PyDict_GetItem (libpython3.13.so.1.0) 3",
        "_run_once (asyncio/base_events.py);handle (litestar/routes/http.py);__aexit__ (contextlib.py) 2",
        "_run_once (asyncio/base_events.py);fetchrow (fleetkit/db.py);_do_execute (asyncpg/connection.py) 4",
        "_run_once (asyncio/base_events.py);encode (fleetkit/responses.py);json_encode (msgspec/_core.so) 1",
        "_run_once (asyncio/base_events.py);select (selectors.py);select_epoll_poll (selectmodule.c.h) 50",
        "main (micro.py);_seed (micro.py);fetchrow (fleetkit/db.py) 9",
    ]
    found = shares.stack_shares(stacks, skip=("main (micro.py)",))
    assert found == {
        "kit: auth (token cache, verification)": 3,
        "Litestar (routing, DI, kwargs, exceptions, response)": 2,
        "asyncpg": 4,
        "msgspec": 1,
    }, "the loop asleep in epoll and the skipped start-up count for nobody"


def _peer_locked_packages() -> set[str]:
    lock = tomllib.loads((REPO / "bench" / "peers" / "fastapi" / "uv.lock").read_text(encoding="utf-8"))
    return {package["name"].lower().replace("_", "-") for package in lock["package"]}


def test_the_fleet_modules_the_fastapi_peer_borrows_import_only_what_its_own_environment_has() -> None:
    """The peer's environment has its own lock: a borrowed fleet module that starts importing a
    package only the workspace has (``avatars.drafts`` pulled the kit's logging, hence structlog)
    makes the peer exit at import and ``make bench`` stop."""
    borrowed, _ = _fastapi_peer_borrows()
    probe = (
        "import importlib, importlib.metadata, json, sys\n"
        "before = set(sys.modules)\n"
        f"for name in {borrowed!r}:\n"
        "    importlib.import_module(name)\n"
        "owners = importlib.metadata.packages_distributions()\n"
        "tops = {m.split('.')[0] for m in set(sys.modules) - before}\n"
        "print(json.dumps(sorted({d for t in tops for d in owners.get(t, ())})))\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120, check=True
    ).stdout
    needed = {name.lower().replace("_", "-") for name in json.loads(shown)} - set(FLEET_PACKAGES)
    missing = sorted(needed - _peer_locked_packages())
    assert not missing, f"fleet modules borrowed by bench/peers/fastapi import {missing}, absent from its uv.lock"
