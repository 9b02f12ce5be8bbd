"""identity at the chart's memory limit, hammered with logins and registrations, is never OOM-killed.

The container is the real image, run with the memory limit (and no swap, like a Kubernetes node)
and the password-hashing settings the umbrella chart renders for identity, on a database of its
own on the host PostgreSQL. A burst of concurrent registrations and logins far beyond what one
worker hashes at once arrives; the worker hashes at most IDENTITY_PASSWORD_HASH_CONCURRENCY at a
time (64 MiB each), sheds the excess with 503 + Retry-After, and serves the rest. Checked after:
the kernel killed nothing in the container's memory cgroup (``oom_kill`` in memory.oom_control,
``State.OOMKilled``, no restart, the same worker process), and peak memory stayed under the
limit. The figures are printed (docs/reliability.md, "Memory limit").
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.images.conftest import PREFIX, ROOT, TAG, docker

sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "scripts" / "images"))

import fleet as harness
import fleet_containers

from fleetkit.testing import admin_dsn

pytestmark = pytest.mark.docker

PASSWORD = "correct horse battery staple"
ACCOUNTS = 4  # registered before the burst, then logged in during it
WAVES = 2
REGISTRATIONS_PER_WAVE = 24
LOGINS_PER_WAVE = 24
#: Allowance for a loaded machine (two shared cores) on the shedding deadline: a shed request still
#: has its body read and, for a login, its account looked up before it reaches the line.
SLACK_S = 2.5


def _helm() -> str:
    local = ROOT / ".tools" / "bin" / "helm"
    if local.exists():
        return str(local)
    found = shutil.which("helm")
    if found is None:
        pytest.fail("helm is needed to read the chart's memory limit: `make k8s-tools` installs it into .tools/bin")
    return found


def chart_identity() -> tuple[str, dict[str, str]]:
    """identity's memory limit and password-hashing settings, as the umbrella chart renders them."""
    chart = ROOT / "charts" / "fleet"
    subprocess.run([_helm(), "dependency", "build", str(chart)], check=True, capture_output=True)
    rendered = subprocess.run(
        [_helm(), "template", "fleet", str(chart), "-n", "fleet"], check=True, capture_output=True, text=True
    ).stdout
    for doc in yaml.safe_load_all(rendered):
        if doc and doc["kind"] == "Deployment" and doc["metadata"]["name"] == "fleet-identity":
            container = next(c for c in doc["spec"]["template"]["spec"]["containers"] if c["name"] == "identity")
            env = {e["name"]: e["value"] for e in container["env"] if e["name"].startswith("IDENTITY_PASSWORD_HASH_")}
            return container["resources"]["limits"]["memory"], env
    pytest.fail("the umbrella chart renders no fleet-identity Deployment")


def docker_memory(quantity: str) -> str:
    """A Kubernetes memory quantity (the chart's forms) as docker's --memory (binary units)."""
    for suffix, unit in (("Gi", "g"), ("Mi", "m"), ("Ki", "k")):
        if quantity.endswith(suffix):
            return quantity.removesuffix(suffix) + unit
    return quantity


def _cgroup(container: str, name: str) -> str:
    return docker("exec", container, "cat", f"/sys/fs/cgroup/memory/{name}").stdout


def _oom_kills(container: str) -> int:
    fields = dict(line.split() for line in _cgroup(container, "memory.oom_control").splitlines())
    return int(fields.get("oom_kill", 0))


def _worker_pids(container: str) -> str:
    return docker("top", container, "-o", "pid,args").stdout


@pytest.fixture
def identity_container(engine: None, tmp_path: Path) -> Iterator[dict[str, Any]]:
    image = f"{PREFIX}/identity:{TAG}"
    if docker("image", "inspect", image, check=False).returncode != 0:
        pytest.fail(f"{image} is not built: run these tests through `make test-images`")
    limit, hashing = chart_identity()
    name = f"fleetm-identity-{os.getpid()}"
    database = f"fleetm_identity_{os.getpid()}"
    dsn = asyncio.run(harness.prepare_databases(admin_dsn(), {"identity": database}, fresh=True))["identity"]
    keys = fleet_containers.signing_keys(image)
    port = harness.free_port()
    env = fleet_containers.service_env("identity", dsn, hashing)
    env.update(
        GRANIAN_PORT=str(port),
        # The per-address limit on credential routes is not what is measured here.
        RATE_LIMIT_STRICT_RPS="10000",
        RATE_LIMIT_STRICT_BURST="10000",
        # Nor is the per-account login budget: 12 logins per account arrive at once.
        IDENTITY_LOGIN_BUDGET="1000",
        IDENTITY_LOGIN_BACKOFF_S="0",
    )
    args = fleet_containers.run_args("identity", env, keys)
    try:
        docker("run", "--rm", *args, image, "python", "-m", "identity", "migrate")
        memory = docker_memory(limit)
        docker("run", "--detach", "--name", name, "--memory", memory, "--memory-swap", memory, *args, image)
        try:
            harness.wait_ready(f"http://127.0.0.1:{port}", timeout=60)
        except TimeoutError:
            pytest.fail(f"identity not ready:\n{docker('logs', '--tail', '50', name, check=False).stderr}")
        yield {"name": name, "url": f"http://127.0.0.1:{port}", "limit": limit, "hashing": hashing}
    finally:
        docker("rm", "--force", name, check=False)
        asyncio.run(harness.drop_databases(admin_dsn(), {"identity": database}))


async def _call(http: httpx.AsyncClient, path: str, body: dict[str, str]) -> tuple[str, int, float, str | None]:
    """(path, status, seconds, Retry-After); status 0 when the connection broke (a killed worker)."""
    started = time.perf_counter()
    try:
        response = await http.post(path, json=body)
    except httpx.TransportError:
        return path, 0, time.perf_counter() - started, None
    return path, response.status_code, time.perf_counter() - started, response.headers.get("retry-after")


async def _setup_accounts(url: str, emails: list[str]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        for email in emails:
            for _ in range(30):
                status = (await http.post("/v1/accounts", json={"email": email, "password": PASSWORD})).status_code
                if status == 201:
                    break
                assert status == 503, status
                await asyncio.sleep(1)


async def _burst(url: str, accounts: list[str], tag: str) -> list[tuple[str, int, float, str | None]]:
    results = []
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        for wave in range(WAVES):
            calls = [
                _call(http, "/v1/accounts", {"email": f"burst-{tag}-{wave}-{n}@example.com", "password": PASSWORD})
                for n in range(REGISTRATIONS_PER_WAVE)
            ] + [
                _call(http, "/v1/sessions", {"email": accounts[n % len(accounts)], "password": PASSWORD})
                for n in range(LOGINS_PER_WAVE)
            ]
            results += await asyncio.gather(*calls)
    return results


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98] if len(values) > 1 else values[0]


def test_identity_at_the_chart_memory_limit_sheds_hashes_instead_of_being_oom_killed(identity_container):
    name, url = identity_container["name"], identity_container["url"]
    tag = uuid.uuid4().hex[:8]
    accounts = [f"mem-{tag}-{n}@example.com" for n in range(ACCOUNTS)]
    asyncio.run(_setup_accounts(url, accounts))
    workers_before = _worker_pids(name)
    rest_bytes = int(_cgroup(name, "memory.usage_in_bytes"))

    results = asyncio.run(_burst(url, accounts, tag))

    state = docker("inspect", "-f", "{{.State.OOMKilled}} {{.RestartCount}} {{.State.Running}}", name).stdout.split()
    running = state[2] == "true"  # a container that died has no cgroup left to read
    peak_bytes = int(_cgroup(name, "memory.max_usage_in_bytes")) if running else -1
    limit_bytes = int(_cgroup(name, "memory.limit_in_bytes")) if running else -1
    oom_kills = _oom_kills(name) if running else -1
    served = [r for r in results if r[1] in (200, 201)]
    shed = [r for r in results if r[1] == 503]
    wrong = [r[:2] for r in results if r[1] not in (200, 201, 503)]
    broken = sum(r[1] == 0 for r in results)
    wait_s = float(identity_container["hashing"]["IDENTITY_PASSWORD_HASH_WAIT_S"])
    shed_s = sorted(r[2] for r in shed) or [float("nan")]
    print(
        f"\nmemory limit: identity at {identity_container['limit']}, "
        f"{identity_container['hashing']}: {len(results)} logins+registrations in {WAVES} waves of "
        f"{REGISTRATIONS_PER_WAVE + LOGINS_PER_WAVE} at once: served {len(served)}, shed {len(shed)} "
        f"(503 in {1000 * shed_s[0]:.0f}-{1000 * shed_s[-1]:.0f} ms, "
        f"median {1000 * statistics.median(shed_s):.0f} ms), "
        f"served p99 {1000 * _p99([r[2] for r in served] or [float('nan')]):.0f} ms; memory at rest "
        f"{rest_bytes / 2**20:.0f} MiB, peak {peak_bytes / 2**20:.0f} MiB; connections broken {broken}; "
        f"OOMKilled={state[0]} "
        f"restarts={state[1]} oom_kill={oom_kills}"
    )
    assert state == ["false", "0", "true"], f"OOMKilled, RestartCount, Running: {state}"
    assert oom_kills == 0, "the kernel killed a process of the container (a Granian worker, say)"
    assert _worker_pids(name) == workers_before, "the worker process was replaced"
    assert 0 < peak_bytes < limit_bytes
    assert not wrong, f"only 200/201 or 503 expected: {wrong}"
    assert shed, "a burst this size must exceed one hashing place and its line"
    assert all(r[3] is not None and int(r[3]) >= 1 for r in shed), "every 503 carries Retry-After"
    assert shed_s[-1] <= wait_s + SLACK_S, "a shed request waits at most the line's deadline"
    assert len(served) >= WAVES, "the worker keeps serving what it can hash"
