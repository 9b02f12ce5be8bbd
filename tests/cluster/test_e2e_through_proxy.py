"""The black-box e2e suite (tests/e2e, minus the tests that control processes) through the proxy,
against two replicas of every service, and what the topology itself promises."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx

from tests.cluster import topology
from tests.cluster.load import source_address


def test_the_e2e_suite_passes_through_the_proxy(cluster: topology.Topology) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLEET_")}
    env.update({f"FLEET_{service.upper()}_URL": url for service, url in cluster.urls().items()})
    env["FLEET_E2E_BEHIND_PROXY"] = "haproxy"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/e2e", "-m", "not fleet", "-q", "-p", "no:xdist", "-p", "no:randomly"],
        cwd=topology.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    print(run.stdout[-3000:])
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert " passed" in run.stdout


def test_every_replica_answers_and_the_proxy_spreads_requests(cluster: topology.Topology) -> None:
    """Each replica is ready on its own port, HAProxy has it UP, and requests reach all of them."""
    assert cluster.proxy is not None
    states = cluster.proxy.states()
    for replica in cluster.all_replicas():
        assert httpx.get(f"{replica.url}/readyz", timeout=5).status_code == 200
        assert states[replica.name] == "UP", states
    for service in cluster.services:
        before = _sessions_per_server(cluster, service)
        with httpx.Client(base_url=cluster.url(service), timeout=5) as http:
            for _ in range(20):
                assert http.get("/livez").status_code == 200
        after = _sessions_per_server(cluster, service)
        assert all(after[name] > before[name] for name in after), (before, after)


def test_a_replica_that_is_not_ready_gets_no_traffic(cluster: topology.Topology) -> None:
    """SIGSTOP one replica (it stops answering, like a hung pod): HAProxy marks it DOWN and every
    request still succeeds on the other; SIGCONT and it is back in rotation."""
    assert cluster.proxy is not None
    replica = cluster.replica("avatars", 0)
    replica.send(signal.SIGSTOP)  # the Granian main process only: its worker keeps the port
    assert replica.process is not None
    for child in _children(replica.process.pid):
        os.kill(child, signal.SIGSTOP)
    try:
        cluster.proxy.wait_state(replica.name, up=False, timeout=10)
        with httpx.Client(base_url=cluster.url("avatars"), timeout=5) as http:
            statuses = [http.get("/readyz").status_code for _ in range(20)]
        assert statuses == [200] * 20
    finally:
        for child in _children(replica.process.pid):
            os.kill(child, signal.SIGCONT)
        replica.send(signal.SIGCONT)
    cluster.proxy.wait_state(replica.name, up=True, timeout=10)


def test_clients_come_from_distinct_addresses_and_the_proxy_forwards_them(cluster: topology.Topology) -> None:
    """A client bound to 127.0.0.7 connects through the proxy; HAProxy appends X-Forwarded-For."""
    address = source_address(5)
    with httpx.Client(
        base_url=cluster.url("identity"), timeout=5, transport=httpx.HTTPTransport(local_address=address)
    ) as http:
        assert http.get("/livez").status_code == 200
    assert "option forwardfor" in (cluster.folder / "haproxy.cfg").read_text()


def _sessions_per_server(cluster: topology.Topology, service: str) -> dict[str, int]:
    assert cluster.proxy is not None
    text = cluster.proxy.command("show stat")
    header, *rows = [line for line in text.splitlines() if line.strip()]
    columns = header.lstrip("# ").split(",")
    found = {}
    for row in rows:
        values = dict(zip(columns, row.split(","), strict=False))
        if values["pxname"] == service and values["svname"] not in {"FRONTEND", "BACKEND"}:
            found[values["svname"]] = int(values["stot"] or 0)
    return found


def _children(pid: int) -> list[int]:
    path = f"/proc/{pid}/task/{pid}/children"
    with open(path) as f:
        return [int(p) for p in f.read().split()]
