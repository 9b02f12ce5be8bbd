"""In-process cost of one request through the framework and the kit (issue 8's profiling aid).

    uv run --frozen python bench/micro.py [--requests 20000] [--concurrency 20] [--sampling 0.1] [--otlp]

Builds the avatars app exactly as Granian would (``create_app()``, its lifespan, the kit's pool
on a fresh migrated database with one avatar) and calls it as an ASGI app, ``app(scope, receive,
send)``, from ``--concurrency`` coroutines in the same event loop: ``GET /v1/avatars/{id}`` with a
bearer token, the benchmark's scenario 1 without Granian and without the network client. It prints
the process CPU time and the event-loop callbacks per request, which are steady on a shared
machine where requests per second are not: an A/B of a kit change (run it before and after, or
with ``PYTHONPATH`` pointing at a patched copy) shows differences of a few microseconds.

Not a benchmark result: nothing here is compared with a peer. ``make bench`` is the measurement.
``--write`` drives scenario 2 instead (``POST /v1/avatar-drafts/{id}/complete``, one fresh draft
per request, written to the table before each run); ``--feed`` drives scenario 3 (``GET /v1/feed``:
the social app on its own migrated database, a page of 20 of 60 posts whose avatar snapshots stay
fresh for the whole run, so avatars is never called, as in ``make bench``); ``--cprofile FILE``
writes where the CPU goes: a table of the layers' shares (``bench/shares.py``), then the top functions.
``--otlp`` exports sampled spans to ``bench/sink.py`` (started here); without it tracing is off.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SINK_PORT = 18920


@contextlib.contextmanager
def _counting_callbacks() -> Iterator[list[int]]:
    """Count the callbacks the loop runs (every task step is one) by wrapping ``Handle._run``,
    put back on the way out so that one run's counting never adds to the next run's cost."""
    counter = [0]
    original = asyncio.Handle._run

    def run(handle: asyncio.Handle) -> None:
        counter[0] += 1
        original(handle)

    asyncio.Handle._run = run  # type: ignore[method-assign,assignment]
    try:
        yield counter
    finally:
        asyncio.Handle._run = original  # type: ignore[method-assign]


async def _seed(dsn: str) -> Any:
    import functools

    import asyncpg

    from avatars.features.avatar.complete_wizard.command import CompleteWizard
    from avatars.features.avatar.complete_wizard.handler import complete_wizard
    from avatars.features.avatar.start_wizard.command import StartWizard
    from avatars.features.avatar.start_wizard.handler import start_wizard
    from fleetkit.db import KitPool
    from fleetkit.ids import new_id

    owner = new_id()
    connect = functools.partial(asyncpg.connect, dsn, timeout=10, command_timeout=30)
    async with KitPool(connect, max_size=1, acquire_timeout=10, close_timeout=10) as pool:
        draft = await start_wizard(
            StartWizard(owner, "hexagon", ("#112233", "#FFFFFF", "#FFCC00"), ("hat",), "Micro"),
            pool=pool,
            ttl_s=3600,
        )
        done = await complete_wizard(CompleteWizard(draft.id, owner), pool=pool)
    return owner, done.avatar.id  # type: ignore[union-attr]


async def _seed_feed(dsn: str, owner: Any, count: int) -> None:
    """``count`` posts by ``owner``, each with the same avatar snapshot, written by the publish
    slice's own statement (the post and its feed entry), as scenario 3 seeds them through the API."""
    import datetime as dt

    import asyncpg

    from fleetkit.ids import new_id
    from social.features.post.publish_post.queries import INSERT_POST_WITH_FEED_ENTRY

    avatar_id, updated = new_id(), dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        for i in range(count):
            await conn.execute(
                INSERT_POST_WITH_FEED_ENTRY,
                new_id(), owner, f"bench post {i}", avatar_id, dt.datetime.now(dt.UTC),
                "Captain Pixel", f"http://avatars.micro/v1/avatars/{avatar_id}/image.svg", updated,
            )  # fmt: skip
    finally:
        await conn.close()


async def _drafts(dsn: str, owner: Any, count: int) -> list[str]:
    """``count`` drafts with every step set, written straight to the table (scenario 2's input)."""
    import datetime as dt

    import asyncpg

    from fleetkit.ids import new_id

    now = dt.datetime.now(dt.UTC)
    rows = [
        (new_id(), owner, "hexagon", "#3366CC", "#FFFFFF", "#FFCC00", ["glasses"], "Captain Pixel", now, now,
         now + dt.timedelta(days=1))
        for _ in range(count)
    ]  # fmt: skip
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        await conn.copy_records_to_table(
            "avatar_drafts",
            records=rows,
            columns=["id", "owner_id", "shape", "color_background", "color_foreground", "color_accent",
                     "accessories", "name", "created_at", "updated_at", "expires_at"],
            timeout=60,
        )  # fmt: skip
    finally:
        await conn.close()
    return [f"/v1/avatar-drafts/{row[0]}/complete" for row in rows]


async def _drive(
    app: Any, path: str | list[str], token: str, *, requests: int, concurrency: int, method: str = "GET"
) -> dict[str, float]:
    headers = [(b"host", b"127.0.0.1:8000"), (b"authorization", f"Bearer {token}".encode()), (b"accept", b"*/*")]
    statuses: dict[int, int] = {}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses[message["status"]] = statuses.get(message["status"], 0) + 1

    paths = [path] * requests if isinstance(path, str) else path[:requests]

    def scope() -> dict[str, Any]:
        path = paths.pop()
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": list(headers),
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 8000),
            "state": {},
            "extensions": {},
        }

    left = requests

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await app(scope(), receive, send)

    collecting = {"gc_s": 0.0, "started": 0.0, "collections": 0}

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            collecting["started"] = time.perf_counter()
        else:
            collecting["gc_s"] += time.perf_counter() - collecting["started"]
            collecting["collections"] += 1

    gc.callbacks.append(on_gc)
    try:
        with _counting_callbacks() as counter:
            started_wall, started_cpu = time.perf_counter(), time.process_time()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            wall, cpu = time.perf_counter() - started_wall, time.process_time() - started_cpu
    finally:
        gc.callbacks.remove(on_gc)
    return {
        "requests": requests,
        "statuses": statuses,  # type: ignore[dict-item]
        "wall_s": wall,
        "rps": requests / wall,
        "cpu_us_per_request": cpu * 1e6 / requests,
        "callbacks_per_request": counter[0] / requests,
        "gc_us_per_request": collecting["gc_s"] * 1e6 / requests,
        "collections": collecting["collections"],
    }


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--warmup", type=int, default=2_000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--sampling", type=float, default=0.1, help="OTEL_TRACES_SAMPLER_ARG (with --otlp)")
    parser.add_argument("--otlp", action="store_true", help="trace, exporting to bench/sink.py")
    parser.add_argument("--repeat", type=int, default=3, help="measured runs (each --requests long)")
    parser.add_argument(
        "--write",
        action="store_true",
        help="scenario 2 instead: POST /v1/avatar-drafts/{id}/complete, one fresh draft per request",
    )
    parser.add_argument(
        "--feed",
        action="store_true",
        help="scenario 3 instead: GET /v1/feed on the social app (a page of 20 of 60 posts, snapshots fresh)",
    )
    parser.add_argument("--cprofile", type=Path, help="cProfile the measured runs; the top functions go to this file")
    args = parser.parse_args()

    if args.write and args.feed:
        parser.error("--write and --feed are two different scenarios: pick one")
    from fleetkit.ids import new_id
    from fleetkit.testing import create_database, drop_database, drop_template, make_template
    from identity.tokens import KeyRing, generate_keys

    if args.feed:
        from social.app import MIGRATIONS, create_app
    else:
        from avatars.app import MIGRATIONS, create_app  # type: ignore[assignment]
    service = "social" if args.feed else "avatars"
    template = await make_template(service, MIGRATIONS, f"micro_{os.getpid()}")
    dsn = await create_database(template)
    sink = None
    try:
        if args.feed:
            owner, avatar_id = new_id(), None
            await _seed_feed(dsn, owner, 60)
        else:
            owner, avatar_id = await _seed(dsn)
        keys = Path(tempfile.mkdtemp(prefix="micro-keys-"))
        generate_keys(keys)
        ring = KeyRing.from_folder(keys, issuer="fleet-identity", audience="fleet", ttl_s=3600)
        token = ring.sign_access_token(owner, time.time()).token
        os.environ.update(
            {
                "DATABASE_URL": dsn,
                "AUTH_JWKS_URL": "http://127.0.0.1:9/unused",
                "AVATARS_PUBLIC_BASE_URL": "http://avatars.micro/",
                "RATE_LIMIT_RPS": "1000000",
                "RATE_LIMIT_BURST": "1000000",
                "LOG_FORMAT": "json",
                "LOG_LEVEL": "info",
                "DB_POOL_MAX_SIZE": "10",
                "OTEL_TRACES_SAMPLER_ARG": str(args.sampling),
                # social: avatars is never reached (snapshots stay fresh past the run's length)
                "SOCIAL_AVATARS_URL": "http://127.0.0.1:9",
                "SOCIAL_SNAPSHOT_TTL_S": "3600",
            }
        )
        if args.otlp:
            sink = subprocess.Popen([sys.executable, str(ROOT / "bench" / "sink.py"), str(SINK_PORT)])
            os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = f"http://127.0.0.1:{SINK_PORT}"
            await asyncio.sleep(0.5)
        from fleetkit.auth import StaticKeySource

        app = create_app(keys_factory=lambda runtime: StaticKeySource(ring.public))
        method = "POST" if args.write else "GET"

        async def paths(count: int) -> str | list[str]:
            if args.write:
                return await _drafts(dsn, owner, count)
            return "/v1/feed" if args.feed else f"/v1/avatars/{avatar_id}"

        profiler = None
        if args.cprofile:
            import cProfile

            profiler = cProfile.Profile(time.process_time)  # CPU, not wall: the machine is shared
        async with app.lifespan():
            warm = await paths(args.warmup)
            await _drive(app, warm, token, requests=args.warmup, concurrency=args.concurrency, method=method)
            for _ in range(args.repeat):
                todo = await paths(args.requests)
                if profiler is not None:
                    profiler.enable()
                result = await _drive(
                    app, todo, token, requests=args.requests, concurrency=args.concurrency, method=method
                )
                if profiler is not None:
                    profiler.disable()
                print(
                    f"{result['cpu_us_per_request']:6.1f} us CPU/request  "
                    f"{result['callbacks_per_request']:5.2f} loop callbacks/request  "
                    f"{result['gc_us_per_request']:5.1f} us GC/request ({result['collections']} collections)  "
                    f"{result['rps']:7.0f} req/s  statuses {result['statuses']}",
                    flush=True,
                )
        if profiler is not None:
            import io
            import pstats

            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("tottime").print_stats(45)
            stats.sort_stats("cumulative").print_stats(60)
            stats.dump_stats(args.cprofile.with_suffix(".prof"))  # for pstats, snakeviz, bench/shares.py
            sys.path.insert(0, str(ROOT / "bench"))
            from shares import table

            layers = table(stats)
            args.cprofile.write_text(f"{layers}\n\n{out.getvalue()}")
            print(f"{layers}\ncProfile: {args.cprofile}")
    finally:
        if sink is not None:
            sink.terminate()
            sink.wait(10)
        await drop_database(dsn)
        await drop_template(template)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
