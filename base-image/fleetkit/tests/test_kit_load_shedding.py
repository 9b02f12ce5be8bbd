"""Load shedding: a slowed database makes the excess 503 fast, not a pile of late requests.

The service (the kit's app with its middleware, gate and pool) talks to the real PostgreSQL
through a TCP relay that can add latency to everything the server sends, which is what a
database under strain or a congested path looks like from the service. While it is slowed, a
burst far beyond what the pool can serve arrives at once. Requests that cannot be served in
time get 503 with Retry-After within the admission deadline (``ADMISSION_QUEUE_TIMEOUT_S``) or
at once when the line is full (``ADMISSION_QUEUE_MAX``); the requests that are served stay
within the line's deadline plus the pool's; once the relay is fast again everything succeeds
with no restart. The figures are printed (docs/reliability.md, "Load shedding").
"""

from __future__ import annotations

import asyncio
import math
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

import httpx
from kit_support import serving_concurrently

POOL_SIZE = 2  # the gate lets 2 x POOL_SIZE requests in
QUEUE_MAX = 8
QUEUE_TIMEOUT_S = 0.5
ACQUIRE_TIMEOUT_S = 1.0
DB_DELAY_S = 0.3  # added to every answer of the server while slowed
BURST = 60
#: Allowance for a loaded test machine (two cores shared with other work) on every bound below.
SLACK_S = 0.75


class SlowRelay:
    """A TCP relay to PostgreSQL; ``delay`` seconds are added to each chunk the server sends."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.delay = 0.0
        self.tasks: set[asyncio.Task[None]] = set()
        self.server: asyncio.Server | None = None

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, slowed: bool) -> None:
        try:
            while data := await reader.read(65536):
                if slowed and self.delay:
                    await asyncio.sleep(self.delay)
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        for pump in (self._pump(reader, up_writer, slowed=False), self._pump(up_reader, writer, slowed=True)):
            task = asyncio.create_task(pump)
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[int]:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        try:
            yield self.server.sockets[0].getsockname()[1]
        finally:
            self.server.close()
            for task in list(self.tasks):
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)


async def _timed(client: httpx.AsyncClient, path: str) -> tuple[int, float, httpx.Response]:
    started = time.perf_counter()
    response = await client.get(path)
    return response.status_code, time.perf_counter() - started, response


def _p99(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else math.nan
    return statistics.quantiles(values, n=100, method="inclusive")[98]


async def test_a_slowed_database_sheds_the_excess_fast_and_the_service_recovers_on_its_own(
    make_app, database_url: str
) -> None:
    url = urlsplit(database_url)
    relay = SlowRelay(url.hostname or "127.0.0.1", url.port or 5432)
    async with relay.running() as port:
        relayed = urlunsplit(url._replace(netloc=f"{url.username}@127.0.0.1:{port}"))
        app = make_app(
            relayed,
            db_pool_min_size=0,
            db_pool_max_size=POOL_SIZE,
            db_acquire_timeout_s=ACQUIRE_TIMEOUT_S,
            admission_queue_max=QUEUE_MAX,
            admission_queue_timeout_s=QUEUE_TIMEOUT_S,
        )
        async with serving_concurrently(app) as client:
            first = await client.get("/v1/widgets/count")
            assert first.status_code == 200, first.text

            relay.delay = DB_DELAY_S
            burst = await asyncio.gather(*(_timed(client, "/v1/widgets/count") for _ in range(BURST)))
            served = [elapsed for status, elapsed, _ in burst if status == 200]
            shed = [(elapsed, response) for status, elapsed, response in burst if status == 503]
            others = [status for status, _, _ in burst if status not in (200, 503)]

            relay.delay = 0.0
            await asyncio.sleep(DB_DELAY_S)  # answers already on their way arrive
            after = await asyncio.gather(*(_timed(client, "/v1/widgets/count") for _ in range(2 * POOL_SIZE)))

    shed_s = sorted(elapsed for elapsed, _ in shed) or [math.nan]
    print(
        f"\nload shedding: {BURST} requests at once, database +{DB_DELAY_S * 1000:.0f} ms per answer, pool "
        f"{POOL_SIZE}, line {QUEUE_MAX} x {QUEUE_TIMEOUT_S} s: served {len(served)}, shed {len(shed)} "
        f"(503 in {1000 * shed_s[0]:.0f}-{1000 * shed_s[-1]:.0f} ms, "
        f"median {1000 * statistics.median(shed_s):.0f} ms), "
        f"served p99 {1000 * _p99(served):.0f} ms; after recovery {sum(s == 200 for s, _, _ in after)}/{len(after)} "
        f"served, p99 {1000 * _p99([e for _, e, _ in after]):.0f} ms"
    )
    assert not others, f"only 200 or 503 while overloaded, got {others}"
    assert served, "the pool still serves what it can"
    assert len(shed) >= BURST - (2 * POOL_SIZE + QUEUE_MAX), "what neither fits inside nor in line is shed"
    for _, response in shed:
        assert response.headers["content-type"] == "application/problem+json"
        assert int(response.headers["retry-after"]) >= 1
    # A shed request waited at most for a place in line, then for a connection: never longer.
    assert shed_s[-1] <= QUEUE_TIMEOUT_S + ACQUIRE_TIMEOUT_S + SLACK_S
    # Served requests waited at most as long as both lines allow, plus their own slowed queries.
    assert max(served) <= QUEUE_TIMEOUT_S + ACQUIRE_TIMEOUT_S + 4 * DB_DELAY_S + SLACK_S
    assert [status for status, _, _ in after] == [200] * len(after), "recovered with no restart"
