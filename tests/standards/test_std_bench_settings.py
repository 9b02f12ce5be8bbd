"""``make bench`` is run by hand, rarely, so nothing else notices when a service stops accepting
the settings the harness starts it with: every service's app is built here with exactly them."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from fleet_standards.core import REPO


def _bench_run() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", REPO / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
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
