"""The contract of `make kind-test`: every command it runs, in order, against recording stand-ins.

kind, kubectl, helm, docker and uv are replaced by tests/kind/standin.py (first on PATH), because no
kind cluster can run on the machine that runs `make test`; `make images` and scripts/images/build.sh
run for real against the docker stand-in. The real tools run in `make kind-test` (kind.yml).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STANDIN = ROOT / "tests" / "kind" / "standin.py"
TOOLS = ("kind", "kubectl", "helm", "docker", "uv")
SERVICES = ("identity", "avatars", "social")
CTX = "--context kind-fleet-kind -n fleet"
HELM = "helm --kube-context kind-fleet-kind -n fleet"


def run_harness(tmp_path: Path, **extra_env: str) -> tuple[subprocess.CompletedProcess[str], list[str], list[dict]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        wrapper = bin_dir / tool
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -I -S "{STANDIN}" {tool} "$@"\n')
        wrapper.chmod(0o755)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("KIND_", "DOCKER", "BUILD_", "STANDIN_", "PYTHON_IMAGE", "UV_IMAGE"))
    }
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env['PATH']}",
        STANDIN_LOG=str(tmp_path / "calls.jsonl"),
        KIND_ARTIFACTS=str(tmp_path / "artifacts"),
        KIND_LOAD_SECONDS="1",
        **extra_env,
    )
    done = subprocess.run(
        [sys.executable, "scripts/kind/kind_test.py", "run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    calls = [json.loads(line) for line in (tmp_path / "calls.jsonl").read_text().splitlines()]
    return done, [" ".join([c["tool"], *c["argv"]]) for c in calls], calls


def position(lines: list[str], *parts: str, start: int = 0) -> int:
    """Index of the first line from ``start`` that holds every part; fails naming what is missing."""
    for index in range(start, len(lines)):
        if all(part in lines[index] for part in parts):
            return index
    pytest.fail(f"no command with {parts} after line {start}:\n" + "\n".join(lines))


def in_order(lines: list[str], *steps: tuple[str, ...]) -> list[int]:
    found, start = [], 0
    for parts in steps:
        start = position(lines, *parts, start=start) + 1
        found.append(start - 1)
    return found


@pytest.fixture(scope="module")
def passing_run(tmp_path_factory: pytest.TempPathFactory):
    return run_harness(tmp_path_factory.mktemp("kind-pass"))


def test_a_passing_run_exits_0_and_deletes_the_cluster_without_exporting_logs(passing_run):
    done, lines, _ = passing_run
    assert done.returncode == 0, done.stderr[-3000:]
    assert lines[-1] == "kind delete cluster --name fleet-kind"
    assert not any(line.startswith("kind export logs") for line in lines)
    assert "[kind-test] passed" in done.stderr


def test_the_cluster_comes_from_tests_kind_cluster_yaml(passing_run):
    _, lines, _ = passing_run
    in_order(
        lines,
        ("kind get clusters",),
        ("kind create cluster --name fleet-kind --config tests/kind/cluster.yaml --wait",),
    )


def test_the_images_are_built_with_load_on_the_engines_network_and_every_service_image_is_loaded(passing_run):
    _, lines, _ = passing_run
    builds = [line for line in lines if line.startswith("docker build ")]
    targets = [re.search(r" -t (\S+)", line).group(1) for line in builds]
    assert targets[:2] == ["fleet/base-build:kind", "fleet/base:kind"]
    assert sorted(targets[2:]) == sorted(f"fleet/{s}:kind" for s in SERVICES)
    for line in builds:
        assert " --load " in f"{line} "
        assert "--network" not in line
    for line in builds[2:]:
        service = re.search(r" -t fleet/(\w+):kind", line).group(1)
        assert f" --build-arg SERVICE={service} -f services/Dockerfile " in f"{line} "
    last_build = lines.index(builds[-1])
    for service in SERVICES:
        save = position(
            lines, "docker image save --platform linux/amd64 -o ", f" fleet/{service}:kind", start=last_build
        )
        archive = lines[save].split(" -o ")[1].split()[0]
        assert lines[save + 1] == f"kind load image-archive {archive} --name fleet-kind"


def test_without_the_containerd_image_store_the_archive_holds_the_image_as_docker_saves_it(tmp_path):
    done, lines, _ = run_harness(tmp_path, KIND_SKIP_BUILD="1", STANDIN_DOCKER_STORE="overlay2")
    assert done.returncode == 0, done.stderr[-3000:]
    saves = [line for line in lines if line.startswith("docker image save")]
    assert len(saves) == 3
    assert not any("--platform" in line for line in saves)
    assert not any(line.startswith("docker build") for line in lines)


def test_the_fleet_is_installed_with_the_kind_values_waited_for_and_helm_tested(passing_run):
    _, lines, _ = passing_run
    loaded = max(i for i, line in enumerate(lines) if line.startswith("kind load image-archive"))
    in_order(
        lines[loaded:],
        ("kubectl --context kind-fleet-kind apply -f tests/kind/namespace.yaml",),
        ("helm dependency build charts/fleet",),
        (f"{HELM} upgrade --install fleet charts/fleet -f charts/fleet/values-kind.yaml --wait",),
        *((f"kubectl {CTX} rollout status deployment/fleet-{s} ",) for s in SERVICES),
        (f"{HELM} test fleet --logs",),
    )


def test_e2e_runs_through_the_shared_entry_point_against_the_forwarded_urls(passing_run):
    _, lines, _ = passing_run
    forwards = {}
    for line in lines:
        found = re.search(r"port-forward svc/fleet-(\w+) (\d+):(\d+)", line)
        if found:
            forwards[found.group(1)] = (found.group(2), found.group(3))
    assert set(forwards) == {*SERVICES, "jaeger", "prometheus"}
    e2e = position(lines, "uv run --frozen python scripts/e2e_against.py")
    for service in SERVICES:
        assert forwards[service][1] == "8000"
        assert f"--url={service}=http://127.0.0.1:{forwards[service][0]}" in lines[e2e]
    check = position(lines, "uv run --frozen python scripts/kind/check_observability.py", start=e2e)
    assert f"--jaeger http://127.0.0.1:{forwards['jaeger'][0]}" in lines[check]
    assert f"--prometheus http://127.0.0.1:{forwards['prometheus'][0]}" in lines[check]
    assert position(lines, f"{HELM} test fleet") < e2e


def test_the_shared_entry_point_deselects_the_tests_that_need_the_local_fleet():
    # The same entry point `make test-images` calls (mk/40-images.mk); --collect-only runs no test.
    done = subprocess.run(
        [sys.executable, "scripts/e2e_against.py"]
        + [f"FLEET_{s.upper()}_URL=http://127.0.0.1:9" for s in SERVICES]
        + ["--", "--collect-only", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    collected = [line for line in done.stdout.splitlines() if line.startswith("tests/e2e/")]
    assert collected
    assert re.search(r"\d+/\d+ tests collected \([1-9]\d* deselected\)", done.stdout)
    local_only = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/e2e", "-m", "fleet", "--collect-only", "-q", "-p", "no:xdist"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    needs_local = {line for line in local_only.stdout.splitlines() if line.startswith("tests/e2e/")}
    assert needs_local
    assert not needs_local & set(collected)
    assert "scripts/e2e_against.py" in (ROOT / "mk" / "40-images.mk").read_text()


def test_restart_under_load_then_scale_to_3_and_back(passing_run):
    _, lines, calls = passing_run
    check = position(lines, "scripts/kind/check_observability.py")
    steps = in_order(
        lines[check:],
        (f"kubectl {CTX} apply -f -",),
        (f"kubectl {CTX} apply -f -",),
        (f"kubectl {CTX} rollout restart deployment/fleet-avatars",),
        (f"kubectl {CTX} rollout status deployment/fleet-avatars",),
        (f"kubectl {CTX} wait pod/fleet-avatars-load --for=jsonpath={{.status.phase}}=Succeeded",),
        (f"kubectl {CTX} get pod/fleet-avatars-load -o jsonpath={{.status.phase}}",),
        (f"kubectl {CTX} scale deployment/fleet-avatars --replicas 3",),
        (f"kubectl {CTX} get deployment/fleet-avatars -o jsonpath={{.status.readyReplicas}}",),
        (f"kubectl {CTX} scale deployment/fleet-avatars --replicas 1",),
        (f"kubectl {CTX} get pods -l app.kubernetes.io/name=avatars,app.kubernetes.io/instance=fleet -o name",),
    )
    pod = json.loads(calls[check + steps[1]]["stdin"])
    assert pod["kind"] == "Pod"
    assert pod["metadata"]["labels"]["app.kubernetes.io/component"] == "smoke-test"
    container = pod["spec"]["containers"][0]
    assert container["image"] == "fleet/avatars:kind"
    assert container["command"][2].startswith("http://fleet-avatars:8000/")  # through the Service
    configmap = json.loads(calls[check + steps[0]]["stdin"])
    assert configmap["data"]["load.py"] == (ROOT / "tests" / "kind" / "load.py").read_text()


FAILURES = [
    ("kind create cluster", "docker build"),
    ("docker image save", "kind load image-archive"),
    ("kind load image-archive", "upgrade --install"),
    ("upgrade --install", "rollout status"),
    ("test fleet --logs", "scripts/e2e_against.py"),
    ("scripts/e2e_against.py", "check_observability.py"),
    ("check_observability.py", "rollout restart"),
    ("rollout restart", "scale deployment"),
    ("--replicas 3", "--replicas 1"),
]


@pytest.mark.parametrize(("fail_at", "never_reached"), FAILURES, ids=[f[0] for f in FAILURES])
def test_a_failure_at_any_step_exports_logs_and_deletes_the_cluster(tmp_path, fail_at, never_reached):
    done, lines, _ = run_harness(
        tmp_path, STANDIN_FAIL=fail_at, KIND_SKIP_BUILD="0" if "build" in never_reached else "1"
    )
    assert done.returncode == 1
    failed = position(lines, fail_at)
    assert not any(never_reached in line for line in lines[failed + 1 :])
    assert lines[-1] == "kind delete cluster --name fleet-kind"
    assert f"kind export logs {tmp_path / 'artifacts' / 'kind'} --name fleet-kind" in lines[failed + 1 :]
    assert (tmp_path / "artifacts" / "resources.txt").exists()
    assert "[kind-test] FAILED" in done.stderr
    for line in lines:  # every port-forward was stopped
        found = re.search(r"port-forward svc/\S+ (\d+):", line)
        if found:
            with socket.socket() as sock:
                assert sock.connect_ex(("127.0.0.1", int(found.group(1)))) != 0


def test_kind_keep_keeps_the_cluster(tmp_path):
    done, lines, _ = run_harness(tmp_path, KIND_SKIP_BUILD="1", KIND_KEEP="1")
    assert done.returncode == 0, done.stderr[-3000:]
    assert not any(line.startswith("kind delete cluster") for line in lines)


def test_missing_prerequisites_stop_the_run_before_any_cluster_is_made(tmp_path):
    # A kind too old for the pinned node image: the check names it and nothing else runs.
    done, lines, _ = run_harness(tmp_path, STANDIN_KIND_VERSION="kind v0.20.0 go1.21 linux/amd64")
    assert done.returncode == 1
    assert "OLD     kind 0.20.0" in done.stderr
    assert "need kind >= 0.31.0" in done.stderr
    assert not any(
        line.startswith(("kind create", "kind delete", "docker build", "helm --kube", "helm dependency"))
        for line in lines
    )
