"""SIGTERM on a replica behind the proxy, on Granian's asyncio loop and on uvloop: readiness fails
at once, the replica keeps serving through the drain delay while HAProxy takes it out of rotation,
then it exits 0 on its own (no SIGKILL), within the drain delay plus SHUTDOWN_TIMEOUT_S."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx
import pytest

from tests.cluster import figures, topology

SHUTDOWN_TIMEOUT_S = 10.0  # the kit's default


def _loop_of(replica: topology.Replica) -> str:
    """The loop the replica's worker reported in its ``service_started`` log line."""
    for line in replica.log_path.read_text().splitlines():
        if line.startswith("{") and '"service_started"' in line:
            return str(json.loads(line)["loop"])
    return ""


def _get(url: str) -> str:
    try:
        return str(httpx.get(url, timeout=2).status_code)
    except httpx.TransportError as exc:
        return type(exc).__name__


@pytest.mark.timeout(900)  # a topology of its own: start, the run, and stop
@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_sigterm_drains_behind_the_proxy_then_exits_on_its_own(
    loop: str, cluster_factory: Callable[..., topology.Topology]
) -> None:
    cluster = cluster_factory(loop=loop, services=("identity",), replicas_per_service=2)
    assert cluster.proxy is not None
    replica = cluster.replica("identity", 0)
    assert replica.process is not None
    assert _loop_of(replica) == loop, "Granian did not run the loop asked for"

    process = replica.process
    sent = time.monotonic()
    replica.send()  # SIGTERM to Granian's main process, as the kubelet sends it to PID 1
    readyz, livez_while_draining, unready_after, down_after = "", [], None, None
    while time.monotonic() - sent < topology.DRAIN_DELAY_S - 0.3:
        readyz = _get(f"{replica.url}/readyz")
        if readyz == "503" and unready_after is None:
            unready_after = time.monotonic() - sent
        if unready_after is not None:
            livez_while_draining.append(_get(f"{replica.url}/livez"))
        if down_after is None and cluster.proxy.states().get(replica.name) == "DOWN":
            down_after = time.monotonic() - sent
        time.sleep(0.05)
    if down_after is None:
        down_after = time.monotonic() - sent + cluster.proxy.wait_state(replica.name, up=False, timeout=5)
    with httpx.Client(base_url=cluster.url("identity"), timeout=5) as http:
        through_proxy = [http.get("/readyz").status_code for _ in range(10)]
    code = process.wait(timeout=topology.DRAIN_DELAY_S + SHUTDOWN_TIMEOUT_S + 5)
    exited_after = time.monotonic() - sent
    replica.process = None
    figures.record(
        f"graceful_shutdown_{loop}",
        {
            "loop": loop,
            "readyz_503_after_s": None if unready_after is None else round(unready_after, 2),
            "served_while_draining": f"{livez_while_draining.count('200')}/{len(livez_while_draining)}",
            "out_of_rotation_after_s": round(down_after, 2),
            "exit_code": code,
            "exited_after_s": round(exited_after, 2),
        },
    )
    assert unready_after is not None, f"readiness still {readyz} while draining"
    assert livez_while_draining, "no probe landed between readiness failing and the end of the drain delay"
    assert set(livez_while_draining) == {"200"}, livez_while_draining
    assert through_proxy == [200] * 10
    assert down_after < topology.DRAIN_DELAY_S, "HAProxy still routed to the replica when it stopped accepting"
    assert code == 0
    assert topology.DRAIN_DELAY_S <= exited_after < topology.DRAIN_DELAY_S + SHUTDOWN_TIMEOUT_S
    replica.start()
    cluster.proxy.wait_state(replica.name, up=True)
