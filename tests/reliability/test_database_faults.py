"""Database faults under load, on a private PostgreSQL cluster (the shared one is never stopped).

Load: registrations on identity (a retry after a failure is safe: the e-mail is unique, so 409
means "an earlier attempt landed") and posts on social (each text unique, so a duplicate is
visible). Faults: every backend of the services' databases terminated, then PostgreSQL stopped
for a few seconds and started again. Checked: every failure is a fast 503 problem+json, /livez
stays 200 and /readyz turns 503, full recovery within 5 s of the database returning (same
processes), and no acknowledged write is lost or duplicated.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
import httpx

from tests.reliability import load, support
from tests.reliability.support import TALLY

ACQUIRE_TIMEOUT_S = 2.0
FAST_S = ACQUIRE_TIMEOUT_S + 1.5  # the acquire deadline plus scheduling slack on 2 busy cores
OUTAGE_S = 4.0
RECOVERY_S = 5.0


async def _terminate_backends(admin: str, databases: list[str]) -> int:
    conn = await asyncpg.connect(admin, timeout=5)
    try:
        return len(
            await conn.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ANY($1::text[])"
                " AND pid <> pg_backend_pid()",
                databases,
            )
        )
    finally:
        await conn.close()


async def _health(url: str, seconds: float, samples: list[tuple[float, str, int]]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=3) as http:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for path in ("/livez", "/readyz"):
                try:
                    status = (await http.get(path)).status_code
                except httpx.HTTPError:
                    status = 0
                samples.append((time.monotonic(), path, status))
            await asyncio.sleep(0.1)


def test_terminated_backends_and_a_restarted_database_lose_nothing_and_recover_fast(db_fleet, pg, services):
    fleet = db_fleet
    identity, social = fleet.url("identity"), fleet.url("social") if "social" in services else None
    author = support.new_user(identity)
    tag = uuid.uuid4().hex[:8]
    emails = [f"dbf-{tag}-{n}@example.com" for n in range(400)]
    support.remember(*emails)
    acked_accounts: set[str] = set()
    acked_posts: set[str] = set()

    async def register(client: httpx.AsyncClient, n: int) -> httpx.Response:
        for _ in range(40):  # retry on 503 until acknowledged (bounded)
            r = await client.post("/v1/accounts", json={"email": emails[n], "password": support.PASSWORD})
            if r.status_code in (201, 409):
                acked_accounts.add(emails[n])
                return r
            if r.status_code != 503:
                return r
            failures.append(
                (
                    time.monotonic(),
                    "identity",
                    r.status_code,
                    r.headers.get("content-type", ""),
                    r.elapsed.total_seconds(),
                )
            )
            await asyncio.sleep(0.25)
        return r

    async def publish(client: httpx.AsyncClient, n: int) -> httpx.Response:
        text = f"dbf {tag} post {n}"
        for _ in range(40):
            r = await client.post("/v1/posts", json={"text": text}, headers=author.auth)
            if r.status_code == 201:
                acked_posts.add(text)
                return r
            if r.status_code != 503:
                return r
            failures.append(
                (
                    time.monotonic(),
                    "social",
                    r.status_code,
                    r.headers.get("content-type", ""),
                    r.elapsed.total_seconds(),
                )
            )
            await asyncio.sleep(0.25)
        return r

    failures: list[tuple[float, str, int, str, float]] = []
    health: list[tuple[float, str, int]] = []
    marks: dict[str, float] = {}
    databases = list(fleet.dsns and [d.rsplit("/", 1)[-1] for d in fleet.dsns.values()])

    async def faults() -> None:
        await asyncio.sleep(2.0)
        marks["terminate"] = time.monotonic()
        TALLY.add("backends_terminated", await _terminate_backends(pg.admin, databases))
        await asyncio.sleep(2.0)
        marks["stop"] = time.monotonic()
        await asyncio.to_thread(pg.stop, "fast")
        await asyncio.sleep(OUTAGE_S)
        await asyncio.to_thread(pg.start)
        marks["start"] = time.monotonic()

    reads: list[tuple[float, str, int, str, float]] = []

    async def read_probe(url: str, path: str, seconds: float) -> None:
        """A cheap DB-bound GET 5 times a second: how fast does a request fail in an outage?"""
        async with httpx.AsyncClient(base_url=url, timeout=30, headers=author.auth) as http:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                t0 = time.monotonic()
                try:
                    r = await http.get(path)
                    reads.append((t0, path, r.status_code, r.headers.get("content-type", ""), time.monotonic() - t0))
                except httpx.HTTPError:
                    reads.append((t0, path, 0, "", time.monotonic() - t0))
                await asyncio.sleep(0.2)

    async def scenario() -> list[load.Run]:
        jobs = [
            load.fixed_rate(identity, register, rate=4, seconds=16, max_requests=len(emails), timeout=30),
            faults(),
            _health(identity, 18, health),
            read_probe(identity, "/v1/me", 16),
        ]
        if social:
            jobs.append(load.fixed_rate(social, publish, rate=15, seconds=16, max_requests=400, timeout=30))
            jobs.append(_health(social, 18, health))
            jobs.append(read_probe(social, "/v1/feed", 16))
        results = await asyncio.gather(*jobs)
        return [r for r in results if isinstance(r, load.Run)]

    runs = asyncio.run(scenario())
    TALLY.add("faults_injected", 2)  # terminate-all, stop/start

    # every failure was a fast 503 problem+json. Registrations hash the password (argon2, CPU) before
    # they touch the database, so their latency measures the CPU queue: the deadline is checked on
    # the database-bound reads and on social's writes.
    failed_reads = [r for r in reads if r[2] != 200]
    slow = [f for f in failures if f[4] > FAST_S and f[1] != "identity"] + [r for r in failed_reads if r[4] > FAST_S]
    bad_reads = [r for r in failed_reads if r[2] != 503 or not r[3].startswith(support.PROBLEM_JSON)]
    not_problem = [f for f in failures if not f[3].startswith(support.PROBLEM_JSON)]
    transport = [o for r in runs for o in r.outcomes if o.status == 0 or (o.status >= 500 and o.status != 503)]
    # health during the outage
    # (a probe that starts just before the restart may legitimately answer 200 once the database
    # is back: readiness waits up to 1 s for its query, so those probes are not "during")
    during = [h for h in health if marks["stop"] + 0.5 < h[0] < marks["start"] - 1.5]
    livez_during = {s for t, p, s in during if p == "/livez"}
    readyz_during = {s for t, p, s in during if p == "/readyz"}
    # recovery: the first /readyz 200 and the first acknowledged write after the database returned
    ready_again = min((t for t, p, s in health if p == "/readyz" and s == 200 and t > marks["start"]), default=None)
    writes_after = [
        o.started + o.elapsed
        for r in runs
        for o in r.outcomes
        if o.status in (201, 409) and o.started + o.elapsed > marks["start"]
    ]
    recovered = max(ready_again or 1e18, min(writes_after, default=1e18)) - marks["start"]
    requests_tried = sum(len(r.outcomes) for r in runs) + len(failures) + len(reads) + len(health)

    # nothing lost, nothing duplicated
    async def stored() -> tuple[set[str], list[str]]:
        ident = await asyncpg.connect(fleet.dsns["identity"])
        try:
            rows = await ident.fetch("SELECT email FROM accounts WHERE email LIKE $1", f"dbf-{tag}-%")
        finally:
            await ident.close()
        posts: list[str] = []
        if social:
            soc = await asyncpg.connect(fleet.dsns["social"])
            try:
                posts = [r[0] for r in await soc.fetch("SELECT text FROM posts WHERE text LIKE $1", f"dbf {tag} %")]
            finally:
                await soc.close()
        return {r[0] for r in rows}, posts

    accounts, posts = asyncio.run(stored())
    TALLY.put(
        "database_faults",
        {
            "requests_tried": requests_tried,
            "failed_503": len(failures),
            "slowest_failed_write_s": {
                svc: round(max((f[4] for f in failures if f[1] == svc), default=0), 3) for svc in ("identity", "social")
            },
            "reads": len(reads),
            "failed_reads": len(failed_reads),
            "slowest_failed_read_s": round(max((r[4] for r in failed_reads), default=0), 3),
            "not_problem_json": len(not_problem),
            "transport_or_other_5xx": len(transport),
            "livez_during_outage": sorted(livez_during),
            "readyz_during_outage": sorted(readyz_during),
            "recovery_after_db_start_s": round(recovered, 2),
            "outage_s": OUTAGE_S,
            "acked_accounts": len(acked_accounts),
            "stored_accounts": len(accounts),
            "acked_posts": len(acked_posts),
            "stored_posts": len(posts),
            "duplicated_posts": len(posts) - len(set(posts)),
        },
    )
    TALLY.add("requests_tried_reliability", requests_tried)
    assert failures, "the faults produced no failure at all: the test did not test anything"
    assert not slow, f"{len(slow)} failures slower than {FAST_S} s: {slow[:5]}"
    assert not not_problem, not_problem[:5]
    assert not bad_reads, bad_reads[:5]
    unhandled = [line[:600] for line in fleet.logs().splitlines() if '"unhandled_error"' in line]
    TALLY.data["database_faults"]["unhandled_errors_logged"] = [line[:300] for line in unhandled[:5]]
    assert not transport, ([(o.status, o.error) for o in transport[:10]], unhandled[:3])
    assert livez_during == {200}, livez_during
    assert readyz_during == {503}, readyz_during
    assert recovered <= RECOVERY_S, f"recovered {recovered:.2f} s after the database returned"
    assert acked_accounts <= accounts, f"lost accounts: {sorted(acked_accounts - accounts)[:5]}"
    assert acked_posts <= set(posts), f"lost posts: {sorted(acked_posts - set(posts))[:5]}"
    assert len(posts) == len(set(posts)), "duplicated posts"
