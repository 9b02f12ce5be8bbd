"""A small fixed-rate load generator: bounded in count and in time, every answer recorded."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx


@dataclass
class Outcome:
    started: float
    elapsed: float
    status: int  # 0 = transport error
    content_type: str = ""
    error: str = ""
    target: str = ""  # "METHOD url" of a transport error, so a failure says which request it was


@dataclass
class Run:
    outcomes: list[Outcome] = field(default_factory=list)

    def window(self, since: float, until: float) -> list[Outcome]:
        return [o for o in self.outcomes if since <= o.started < until]

    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == 0 or o.status >= 500]


Request = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


async def fixed_rate(
    base_url: str,
    request: Request,
    *,
    rate: float,
    seconds: float,
    max_requests: int,
    timeout: float = 10.0,
    concurrency: int = 64,
    stop: asyncio.Event | None = None,
) -> Run:
    """Fire ``request(client, n)`` ``rate`` times a second for ``seconds`` (at most ``max_requests``)."""
    run = Run()
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits) as client:

        async def one(n: int) -> None:
            async with gate:
                t0 = time.monotonic()
                try:
                    response = await request(client, n)
                    run.outcomes.append(
                        Outcome(
                            t0, time.monotonic() - t0, response.status_code, response.headers.get("content-type", "")
                        )
                    )
                except httpx.HTTPError as exc:
                    try:
                        target = f"{exc.request.method} {exc.request.url}"
                    except RuntimeError:  # httpx raises it when no request is attached
                        target = ""
                    error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                    run.outcomes.append(Outcome(t0, time.monotonic() - t0, 0, error=error, target=target))

        tasks = []
        begin = time.monotonic()
        for n in range(max_requests):
            due = begin + n / rate
            if due - begin > seconds or (stop is not None and stop.is_set()):
                break
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
    return run
