"""Soak (``make soak``): 60 s of mixed load at a fixed rate → 0 errors, RSS growth under 10 %.

Part of ``make test`` (through ``make test-reliability``); ``make soak`` runs it alone.
"""

from __future__ import annotations

import asyncio
import os
import time

import httpx

from tests.reliability import load, support
from tests.reliability.support import TALLY

SECONDS = float(os.environ.get("SOAK_SECONDS", "60"))
RATE = float(os.environ.get("SOAK_RATE", "60"))


def test_mixed_load_at_a_fixed_rate_has_no_errors_and_no_memory_growth(shutdown_fleet, services):
    fleet = shutdown_fleet
    users = [support.new_user(fleet.url("identity")) for _ in range(5)]

    async def mixed(client: httpx.AsyncClient, n: int) -> httpx.Response:
        user = users[n % len(users)]
        kind = n % 10
        if kind < 4:
            return await client.get(f"{fleet.url('identity')}/v1/me", headers=user.auth)
        if "social" in services and kind < 7:
            return await client.get(f"{fleet.url('social')}/v1/feed", headers=user.auth)
        if "social" in services and kind < 9:
            return await client.post(f"{fleet.url('social')}/v1/posts", json={"text": f"soak {n}"}, headers=user.auth)
        return await client.get(f"{fleet.url('identity')}/.well-known/jwks.json")

    # warm up, then take the baseline
    asyncio.run(load.fixed_rate("http://127.0.0.1", mixed, rate=RATE, seconds=5, max_requests=int(RATE * 5)))
    before = {s: support.rss_kib(fleet.processes[s].pid) for s in services}
    started = time.monotonic()
    run = asyncio.run(
        load.fixed_rate("http://127.0.0.1", mixed, rate=RATE, seconds=SECONDS, max_requests=int(RATE * SECONDS) + 1)
    )
    after = {s: support.rss_kib(fleet.processes[s].pid) for s in services}
    latencies = sorted(o.elapsed for o in run.outcomes)
    growth = {s: round(100.0 * (after[s] - before[s]) / before[s], 2) for s in services}
    TALLY.put(
        "soak",
        {
            "seconds": round(time.monotonic() - started, 1),
            "rate_per_s": RATE,
            "requests": len(run.outcomes),
            "errors": len(run.errors()),
            "non_2xx": sum(not 200 <= o.status < 300 for o in run.outcomes),
            "p50_ms": round(1000 * latencies[len(latencies) // 2], 1),
            "p99_ms": round(1000 * latencies[int(len(latencies) * 0.99)], 1),
            "rss_kib_before": before,
            "rss_kib_after": after,
            "rss_growth_pct": growth,
        },
    )
    TALLY.add("requests_tried_reliability", len(run.outcomes))
    assert not [o for o in run.outcomes if not 200 <= o.status < 300], run.errors()[:5]
    assert all(g < 10.0 for g in growth.values()), growth
