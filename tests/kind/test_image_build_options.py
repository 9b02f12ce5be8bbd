"""scripts/images/build.sh on a user's machine: its options, against the recording docker stand-in,
and the bash it is written in (macOS ships bash 3.2)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STANDIN = ROOT / "tests" / "kind" / "standin.py"
#: The scripts `make images` runs on a user's machine.
LAPTOP_SCRIPTS = ("scripts/images/build.sh", "scripts/images/lib.sh")


def build(tmp_path: Path, **options: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "docker"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -I -S "{STANDIN}" docker "$@"\n')
    wrapper.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKER", "BUILD_", "EXTRA_CA", "PYTHON_IMAGE"))}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env['PATH']}", STANDIN_LOG=str(tmp_path / "calls.jsonl"), **options)
    done = subprocess.run(
        ["bash", "scripts/images/build.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    log = tmp_path / "calls.jsonl"
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return done, [" ".join(c["argv"]) for c in calls if c["argv"][:1] == ["build"]]


def test_by_default_images_load_into_the_local_engine_on_its_own_network(tmp_path):
    done, builds = build(tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(builds) == 5
    assert all(" --load " in b and "--network" not in b and "--platform" not in b for b in builds)


def test_the_host_network_is_an_opt_in(tmp_path):
    done, builds = build(tmp_path, DOCKER_BUILD_NETWORK="host")
    assert done.returncode == 0, done.stderr
    assert all(" --network host " in b for b in builds)


def test_a_release_build_pushes_both_platforms_with_an_sbom_and_provenance(tmp_path):
    done, builds = build(
        tmp_path,
        BUILD_OUTPUT="push",
        BUILD_PLATFORMS="linux/amd64,linux/arm64",
        BUILD_ATTEST="1",
        IMAGE_PREFIX="ghcr.io/example/fleet",
        IMAGE_TAG="v1.2.3",
    )
    assert done.returncode == 0, done.stderr
    for line in builds:
        assert " --push " in line
        assert "--load" not in line
        assert " --platform linux/amd64,linux/arm64 " in line
        assert " --sbom=true --provenance=mode=max " in line
    assert "BASE_BUILD_IMAGE=ghcr.io/example/fleet/base-build:v1.2.3" in builds[-1]


def test_platforms_without_push_are_refused_with_the_reason(tmp_path):
    done, builds = build(tmp_path, BUILD_PLATFORMS="linux/amd64,linux/arm64")
    assert done.returncode == 1
    assert "BUILD_PLATFORMS needs BUILD_OUTPUT=push" in done.stderr
    assert builds == []


#: Constructs bash 3.2 (macOS) lacks or treats differently under `set -u`.
BASH4 = {
    r"\bmapfile\b|\breadarray\b": "mapfile/readarray (bash 4)",
    r"\b(declare|local|typeset) -[a-zA-Z]*A": "associative arrays (bash 4)",
    r"\$\{\w+(,,|\^\^)": "case conversion ${x,,} / ${x^^} (bash 4)",
    r"&>>|\|&": "&>> and |& (bash 4)",
    r"\bcoproc\b": "coproc (bash 4)",
}


def bash32_problems(text: str) -> list[str]:
    problems = [f"{name}: line {n}" for n, line in enumerate(text.splitlines(), 1) for pattern, name in BASH4.items()
                if re.search(pattern, line.split("#", 1)[0])]  # fmt: skip
    # "${a[@]}" of an empty array is an unbound variable under set -u in bash 3.2: every array
    # expanded must start non-empty.
    for name in sorted(set(re.findall(r'"\$\{(\w+)\[@\]\}"', text))):
        if not re.search(rf"^\s*{name}=\([^)\s]", text, re.MULTILINE):
            problems.append(f'"${{{name}[@]}}" of an array that may be empty')
    return problems


@pytest.mark.parametrize("script", LAPTOP_SCRIPTS)
def test_the_scripts_make_images_runs_are_bash_3_2_safe(script):
    assert bash32_problems((ROOT / script).read_text()) == []


def test_the_bash_3_2_check_catches_what_broke_macos():
    planted = 'set -u\nmapfile -t secret < <(x)\nbuilt=()\nprintf "%s" "${built[@]}"\nok=(a)\necho "${ok[@]}"\n'
    assert bash32_problems(planted) == [
        "mapfile/readarray (bash 4): line 2",
        '"${built[@]}" of an array that may be empty',
    ]
