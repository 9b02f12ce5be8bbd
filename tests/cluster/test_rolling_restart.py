"""Rolling restart with zero failed requests (issue 18 item 2), on uvloop and on Granian's asyncio loop.

While a load generator runs through the proxies (authenticated reads on every service, writes on
avatars and social, the feed; four users on four source addresses), every replica of every service
is restarted in turn, as a rolling update with ``maxUnavailable: 0`` does it: SIGTERM to Granian's
main process, the replica drains (readiness 503, still serving for SHUTDOWN_DRAIN_DELAY_S while
HAProxy's checks take it out of rotation, then Granian finishes what is in flight) and exits 0, a
new process starts on the same port, and the next replica is restarted only once HAProxy has the
new one UP. Every request's outcome is recorded; the goal, asserted, is 0 non-2xx and 0 connection
errors.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import httpx
import pytest

from tests.cluster import figures, topology
from tests.cluster.conftest import make_users
from tests.cluster.load import Action, LoadGenerator

USERS = 4
SETTLE_S = 2.0  # load before the first restart and after the last
DRAFT = {
    "shape": "hexagon",
    "palette": {"background": "#112233", "foreground": "#445566", "accent": "#778899"},
    "accessories": ["hat"],
    "name": "Rolling",
}

ACTIONS = (
    Action("identity_me", "identity", lambda http, _n: http.get("/v1/me")),
    Action("avatars_mine", "avatars", lambda http, _n: http.get("/v1/me/avatars")),
    Action("avatars_draft", "avatars", lambda http, _n: http.post("/v1/avatar-drafts", json=DRAFT)),
    Action(
        "social_post", "social", lambda http, n: http.post("/v1/posts", json={"text": f"rolling {n} {uuid.uuid4()}"})
    ),
    Action("social_feed", "social", lambda http, _n: http.get("/v1/feed", params={"limit": 20})),
)


@pytest.mark.timeout(900)  # a topology of its own: start, the run, and stop
@pytest.mark.parametrize("loop", ["uvloop", "asyncio"])
def test_every_replica_restarted_in_turn_under_load_fails_no_request(
    loop: str, cluster_factory: Callable[..., topology.Topology]
) -> None:
    cluster = cluster_factory(loop=loop)
    assert cluster.proxy is not None
    users = make_users(cluster, USERS)
    generator = LoadGenerator(cluster.urls(), ACTIONS, users=USERS, headers=lambda user: users[user].auth)
    steps = []
    started = time.monotonic()
    with generator:
        time.sleep(SETTLE_S)
        for replica in cluster.all_replicas():
            steps.append({"replica": replica.name, **cluster.restart(replica.service, replica.index)})
        time.sleep(SETTLE_S)
    record = generator.record
    summary = {
        "loop": loop,
        "replicas_restarted": len(steps),
        **record.summary(),
        "restart_s": round(time.monotonic() - started - 2 * SETTLE_S, 1),
        "slowest_stop_s": round(max(s["stopped_after_s"] for s in steps), 2),
        "slowest_back_in_rotation_s": round(max(s["in_rotation_after_s"] for s in steps), 2),
    }
    figures.record(f"rolling_restart_{loop}", summary)
    failed = record.non_2xx() + record.connection_errors()
    with httpx.Client(timeout=5) as http:
        states = {r.name: http.get(f"{r.url}/readyz").status_code for r in cluster.all_replicas()}
    assert len(steps) == 2 * len(cluster.services)
    assert states == dict.fromkeys(states, 200)
    assert record.requests > 100
    assert set(summary["by_action"]) == {a.name for a in ACTIONS}  # type: ignore[arg-type]
    assert failed == [], failed[:20]
