"""The benchmark harness behind ``make bench`` (issue 8). Never part of ``make test``.

    uv run --frozen python bench/run.py [--scenarios 1,2,3] [--duration 10] [--rounds 3] ...

What one run does, all on 127.0.0.1:

1. Starts an OTLP sink (``bench/sink.py``) that accepts spans and discards them.
2. Creates fresh databases ``bench_identity``, ``bench_avatars``, ``bench_social`` (one role per
   service, as ``scripts/fleet.py`` does) on the local PostgreSQL, migrates them, and starts the
   services with the chart's default middleware on: auth (a real token from identity), rate
   limiting (limits far above what the client sends), metrics, tracing at sampling 0.1 into the
   sink, JSON logs. Start-to-ready is measured per service.
3. Every scenario runs the fleet service, the FastAPI peer (``bench/peers/fastapi``) and the bare
   Granian RSGI ceiling (``bench/peers/ceiling``, ``ceiling-b``: no reset query on release, as the
   kit's pool) all up at once and measured in turn, A/B/C then B/C/A and so on, so that noise from
   the other engineers on the machine falls on every implementation alike. Ratios (requests/s and
   server CPU per request) are computed within each round, then the median is taken. Before the
   rounds, each peer gets the same request as the fleet and must give the same answer.
   Scenario 1 (one row by id with a bearer token, ``GET /v1/avatars/{id}``; identity's
   ``GET /v1/me`` when avatars is not there) also runs ``ceiling-reset`` (the ceiling that sends
   asyncpg's reset query) and the fleet service with two workers.
   Scenario 2 (the write path): ``POST /v1/avatar-drafts/{id}/complete`` on fresh drafts written
   just before each run (not measured). Scenario 3: ``GET /v1/feed`` on seeded posts.
4. Every server runs on the same event loop (``--loop``, uvloop by default, as the fleet's image).
5. Prints the table, the ratios and each target of issue 22 as met / not met, writes
   ``bench/results/<date>.json`` and a PNG chart.

wrk runs as its own process (2 threads, 64 connections by default); the servers run one Granian
worker each unless told otherwise. Every process this script starts is stopped by its process
group when it ends.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT / "scripts"))
import fleet as fleetlib  # noqa: E402  (scripts/fleet.py: databases, keys, migrations, Granian command)

WORK = ROOT / ".dev" / "bench"
PEER_VENV = BENCH / "peers" / "fastapi" / ".venv"
PORTS = {
    "identity": 18001,
    "avatars": 18002,
    "social": 18003,
    "avatars-2w": 18004,
    "ceiling": 18010,
    "ceiling-b": 18012,
    "ceiling-asgi": 18014,
    "fastapi": 18011,
    "sink": 18020,
    "variants": 18030,
}
DB_NAMES = {"identity": "bench_identity", "avatars": "bench_avatars", "social": "bench_social"}
EMAIL = "bench@example.com"
PASSWORD = "correct horse battery staple 42"
FULL_DRAFT = {
    "shape": "hexagon",
    "palette": {"background": "#3366CC", "foreground": "#FFFFFF", "accent": "#FFCC00"},
    "accessories": ["glasses"],
    "name": "Captain Pixel",
}


# ---------------------------------------------------------------------------------------------
# processes


@dataclass
class Server:
    name: str
    command: list[str]
    env: dict[str, str]
    port: int
    cwd: Path = ROOT
    process: subprocess.Popen[bytes] | None = None
    ready_s: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with socket.socket() as probe:  # a server already there would answer the readiness poll
            if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                msg = f"{self.name}: port {self.port} is already in use"
                raise RuntimeError(msg)
        WORK.mkdir(parents=True, exist_ok=True)
        log = (WORK / f"{self.name}.log").open("ab")
        started = time.monotonic()
        self.process = subprocess.Popen(
            self.command,
            env=self.env,
            cwd=self.cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        fleetlib.wait_ready(self.url, timeout=60, process=self.process)
        self.ready_s = time.monotonic() - started

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def tree(self) -> list[int]:
        """This server's processes (its own and all descendants)."""
        if self.process is None:
            return []
        children: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        pids, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            todo.extend(children.get(pid, []))
        return pids

    def rss_kb(self) -> tuple[int, int]:
        """(largest single process, whole tree) resident set in KiB. A Granian worker is the
        largest process of its tree; uvicorn with one worker is a single process."""
        sizes = [_rss_kb(pid) for pid in self.tree()]
        sizes = [s for s in sizes if s]
        return (max(sizes, default=0), sum(sizes))


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds of these processes (all their threads), from /proc."""
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / _CLOCK_TICKS


def _postgres_pids() -> list[int]:
    """Every PostgreSQL process on the machine (the server and the backends of every client).

    Only one implementation is driven at a time, so the database's CPU during a run is that
    implementation's (plus whatever else the machine's other users send it: noise, as for req/s).
    """
    pids = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        with contextlib.suppress(OSError, ValueError):
            if comm.read_text().strip() == "postgres":
                pids.append(int(comm.parent.name))
    return pids


class RssSampler:
    """Samples a server's RSS every 250 ms while wrk runs; keeps the peak."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.peak = (0, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            worker, total = self.server.rss_kb()
            self.peak = (max(self.peak[0], worker), max(self.peak[1], total))

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


# ---------------------------------------------------------------------------------------------
# load


@dataclass
class Load:
    """One wrk run against one implementation."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    script: Path = BENCH / "wrk" / "report.lua"
    env: dict[str, str] = field(default_factory=dict)


def run_wrk(load: Load, *, duration: float, connections: int, threads: int) -> dict[str, Any]:
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration:g}s",
        "--timeout",
        "5s",
        "-s",
        str(load.script),
    ]
    for name, value in load.headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(load.url)
    env = {**os.environ, "BENCH_WRK_DIR": str(BENCH / "wrk"), "BENCH_THREADS": str(threads), **load.env}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=duration + 60, check=False)
    for line in result.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            raw = json.loads(line.removeprefix("BENCH_JSON "))
            seconds = raw["duration_us"] / 1e6
            errors = raw["status"] + raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
            return {
                "rps": raw["requests"] / seconds,
                "p50_ms": raw["p50_us"] / 1000,
                "p90_ms": raw["p90_us"] / 1000,
                "p99_ms": raw["p99_us"] / 1000,
                "max_ms": raw["max_us"] / 1000,
                "requests": raw["requests"],
                "errors": errors,
                "non_2xx": raw["status"],
                "socket_errors": errors - raw["status"],
            }
    msg = f"wrk printed no summary (exit {result.returncode}): {result.stderr.strip()[-500:]}"
    raise RuntimeError(msg)


def measure(server: Server, load: Load, *, duration: float, connections: int, threads: int) -> dict[str, Any]:
    """One wrk run, with the server's peak RSS and the CPU time it and PostgreSQL spent per request.

    CPU per request is steadier than requests per second on a shared machine: other people's
    load slows the clock, not the work each request takes.
    """
    pids, database = server.tree(), _postgres_pids()
    server_cpu, database_cpu = _cpu_s(pids), _cpu_s(database)
    with RssSampler(server) as sampler:
        figures = run_wrk(load, duration=duration, connections=connections, threads=threads)
    served = max(1, figures["requests"])
    figures["server_cpu_us"] = (_cpu_s(pids) - server_cpu) * 1e6 / served
    figures["database_cpu_us"] = (_cpu_s(database) - database_cpu) * 1e6 / served
    figures["rss_worker_kb"], figures["rss_total_kb"] = sampler.peak
    return figures


# ---------------------------------------------------------------------------------------------
# seeding (through the public API: the bench is a black-box client, like the e2e suite)


async def _json(
    http: aiohttp.ClientSession, method: str, url: str, body: Any = None, token: str | None = None
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.request(method, url, json=body, headers=headers) as response:
        payload = await response.json(content_type=None) if response.content_length != 0 else None
        return response.status, payload


async def seed_token(identity: str) -> tuple[str, str]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        status, body = await _json(http, "POST", f"{identity}/v1/accounts", {"email": EMAIL, "password": PASSWORD})
        if status not in (201, 409):
            raise RuntimeError(f"register: {status} {body}")
        status, body = await _json(http, "POST", f"{identity}/v1/sessions", {"email": EMAIL, "password": PASSWORD})
        if status != 200:
            raise RuntimeError(f"login: {status} {body}")
        token = body["access_token"]
        status, me = await _json(http, "GET", f"{identity}/v1/me", token=token)
        if status != 200:
            raise RuntimeError(f"me: {status} {me}")
        return token, me["id"]


async def seed_drafts(avatars: str, token: str, count: int, concurrency: int = 32) -> list[str]:
    """Drafts with every step set, ready to complete (made through the API, not measured)."""
    ids: list[str] = []
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=30)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:

        async def one() -> None:
            status, body = await _json(http, "POST", f"{avatars}/v1/avatar-drafts", FULL_DRAFT, token)
            if status != 201:
                raise RuntimeError(f"start draft: {status} {body}")
            ids.append(body["id"])

        for start in range(0, count, 500):
            await asyncio.gather(*(one() for _ in range(min(500, count - start))))
    return ids


async def insert_drafts(dsn: str, owner_id: str, count: int) -> list[str]:
    """Drafts with every step set, written straight to avatars' table (fast; not measured): the
    same values as ``FULL_DRAFT``, UUID v7 ids as the service makes them, owned by the bench
    account, expiring in a day."""
    from uuid import UUID

    from uuid_utils.compat import uuid7

    now = dt.datetime.now(dt.UTC)
    palette = FULL_DRAFT["palette"]
    rows = [
        (uuid7(), UUID(owner_id), FULL_DRAFT["shape"], palette["background"], palette["foreground"],  # type: ignore[index]
         palette["accent"], FULL_DRAFT["accessories"], FULL_DRAFT["name"], now, now, now + dt.timedelta(days=1))  # type: ignore[index]
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
    return [str(r[0]) for r in rows]


async def seed_avatar(avatars: str, token: str) -> str:
    (draft,) = await seed_drafts(avatars, token, 1)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        status, body = await _json(http, "POST", f"{avatars}/v1/avatar-drafts/{draft}/complete", None, token)
        if status not in (200, 201):
            raise RuntimeError(f"complete: {status} {body}")
        status, check = await _json(http, "GET", f"{avatars}/v1/avatars/{body['id']}", None, token)
        if status != 200:
            raise RuntimeError(f"get avatar: {status} {check}")
        return str(body["id"])


async def seed_posts(social: str, token: str, avatar_id: str | None, count: int) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        for i in range(count):
            post: dict[str, Any] = {"text": f"bench post {i}"}
            if avatar_id:
                post["avatar_id"] = avatar_id
            status, body = await _json(http, "POST", f"{social}/v1/posts", post, token)
            if status != 201:
                raise RuntimeError(f"publish: {status} {body}")


# ---------------------------------------------------------------------------------------------
# the run


#: Completions per second no implementation reaches on the machine sizes the bench is meant for
#: (the bare ceiling of the one-row read path did 7,000-9,000 on 2 cores): the first run's guess.
MAX_COMPLETIONS_PER_S = 10_000


def drafts_for(measured_rps: float | None, seconds: float) -> int:
    """Fresh drafts for a run of ``seconds`` of scenario 2: twice what the implementation's previous
    run measured (req/s swing by 2x between rounds on a shared machine), or, before it has one,
    enough for ``MAX_COMPLETIONS_PER_S``. A request without a draft is a 404, an error in the
    table, and a fast one that would flatter the implementation's req/s. COPY writes them quickly."""
    rate = MAX_COMPLETIONS_PER_S if measured_rps is None else 2 * measured_rps
    return int(max(1000, min(200_000, rate * seconds)))


def run_settings() -> dict[str, str]:
    """What every fleet service in the run gets on top of its own database and peers' addresses
    (``tests/standards/test_std_bench_settings.py`` starts each service's app with it)."""
    return {
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "info",
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{PORTS['sink']}",
        "OTEL_TRACES_SAMPLER_ARG": "0.1",
        "RATE_LIMIT_RPS": "1000000",
        "RATE_LIMIT_BURST": "1000000",
        "RATE_LIMIT_STRICT_BURST": "1000",
        # One token for the whole run (a full run takes over an hour); identity refuses to sign
        # tokens the services would refuse, so their accepted lifetime goes up with it.
        "IDENTITY_ACCESS_TOKEN_TTL_S": "7200",
        "AUTH_MAX_TOKEN_LIFETIME_S": "7200",
        "DB_POOL_MAX_SIZE": "10",
    }


def _median(rows: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def summarise(rounds: list[dict[str, dict[str, Any]]], names: list[str]) -> dict[str, dict[str, Any]]:
    out = {}
    for name in names:
        rows = [r[name] for r in rounds if name in r]
        if not rows:
            continue
        out[name] = {
            "rps": _median(rows, "rps"),
            "p50_ms": _median(rows, "p50_ms"),
            "p99_ms": _median(rows, "p99_ms"),
            "server_cpu_us": _median(rows, "server_cpu_us"),
            "database_cpu_us": _median(rows, "database_cpu_us"),
            "errors": sum(r["errors"] for r in rows),
            "requests": sum(r["requests"] for r in rows),
            "rss_worker_kb": max(r["rss_worker_kb"] for r in rows),
            "rss_total_kb": max(r["rss_total_kb"] for r in rows),
            "rounds": rows,
        }
    return out


def round_ratios(rounds: list[dict[str, dict[str, Any]]], a: str, b: str) -> float | None:
    """Median over rounds of a/b req/s measured in the same round."""
    values = [r[a]["rps"] / r[b]["rps"] for r in rounds if a in r and b in r and r[b]["rps"]]
    return statistics.median(values) if values else None


def alternate(
    servers: dict[str, Server],
    loads: dict[str, Load],
    *,
    rounds: int,
    duration: float,
    warmup: float,
    connections: int,
    threads: int,
    before_round: Any = None,
    after_round: Any = None,
) -> list[dict[str, dict[str, Any]]]:
    names = list(loads)
    for name in names:  # warm every implementation once (JIT-free, but pools, caches, allocators)
        if before_round is not None:
            before_round(name, warmup)
        figures = run_wrk(loads[name], duration=warmup, connections=connections, threads=threads)
        if after_round is not None:
            after_round(name, figures)
    results = []
    for index in range(rounds):
        order = names[index % len(names) :] + names[: index % len(names)]
        row = {}
        for name in order:
            if before_round is not None:
                before_round(name, duration)
            row[name] = measure(servers[name], loads[name], duration=duration, connections=connections, threads=threads)
            if after_round is not None:
                after_round(name, row[name])
            print(
                f"  round {index + 1}/{rounds} {name:<12} {row[name]['rps']:>9.0f} req/s  "
                f"p50 {row[name]['p50_ms']:6.2f} ms  p99 {row[name]['p99_ms']:6.2f} ms  errors {row[name]['errors']}  "
                f"cpu/req {row[name]['server_cpu_us']:5.0f} us + db {row[name]['database_cpu_us']:4.0f} us",
                flush=True,
            )
        results.append(row)
    return results


def profile(
    server: Server,
    load: Load,
    *,
    seconds: float,
    connections: int,
    threads: int,
    gil: bool = False,
    blocking: bool = False,
    tag: str = "",
) -> dict[str, Any]:
    """py-spy the server's worker while wrk drives it; write collapsed stacks and a summary.

    Writes ``.dev/bench/profile-<impl>.txt`` (collapsed stacks, for flamegraph tools or speedscope) and
    ``.dev/bench/profile-<impl>-top.txt`` (the functions with the most inclusive and self samples).
    """
    pids = server.tree()
    worker = max(pids[1:] or pids, key=_rss_kb)
    raw = WORK / f"profile-{tag or server.name}.txt"
    flags = [*([] if blocking else ["--nonblocking"]), *(["--gil"] if gil else [])]
    spy = subprocess.Popen(
        ["uvx", "py-spy", "record", "--pid", str(worker), "--duration", str(int(seconds)), "--rate", "250",
         "--format", "raw", "--nolineno", "--output", str(raw), *flags],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1.0)
    figures = run_wrk(load, duration=seconds, connections=connections, threads=threads)
    spy.wait(seconds + 60)
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        total += count
        frames = stack.split(";")
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + count
        own[frames[-1]] = own.get(frames[-1], 0) + count
    lines = [f"{figures['rps']:.0f} req/s under py-spy; {total} samples", "", "inclusive:"]
    lines += [f"{100 * n / total:6.1f}%  {f}" for f, n in sorted(inclusive.items(), key=lambda i: -i[1])[:60]]
    lines += ["", "self:"]
    lines += [f"{100 * n / total:6.1f}%  {f}" for f, n in sorted(own.items(), key=lambda i: -i[1])[:40]]
    top = WORK / f"profile-{tag or server.name}-top.txt"
    top.write_text("\n".join(lines) + "\n")
    print(f"profile: {raw.relative_to(ROOT)}, summary in {top.relative_to(ROOT)}")
    return {
        "samples": total,
        "rps_under_profiler": figures["rps"],
        "requests": figures["requests"],
        "samples_per_1000_requests": round(1000 * total / max(1, figures["requests"]), 1),
    }


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with contextlib.suppress(OSError):
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    versions = {}
    for package in ("granian", "litestar", "msgspec", "asyncpg", "uvloop"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            versions[package] = version(package)
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": versions,
    }


def fleet_env(service: str, dsns: dict[str, str], keys: Path, extra: dict[str, str]) -> dict[str, str]:
    ports = {"identity": PORTS["identity"], "avatars": PORTS["avatars"], "social": PORTS["social"]}
    return fleetlib.service_env(service, dsns[service], ports, keys, extra)


LOOP = {"name": "uvloop"}  # set once from --loop in main(): every Granian and uvicorn process runs on it


def granian(service: str, port: int, workers: int) -> list[str]:
    return [*fleetlib.granian_command(service, port, reload=False, workers=workers), "--loop", LOOP["name"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", default="1,2,3", help="comma-separated: 1 read, 2 write, 3 feed")
    parser.add_argument("--target", choices=("auto", "avatars", "identity"), default="auto")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per measured wrk run")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--no-two-workers", action="store_true", help="skip the 2-workers variant")
    parser.add_argument("--no-fastapi", action="store_true", help="skip the FastAPI peer")
    parser.add_argument(
        "--env", action="append", default=[], metavar="K=V", help="extra environment for the fleet services"
    )
    parser.add_argument("--admin-dsn", default=os.environ.get("BENCH_DATABASE_URL", fleetlib_admin()))
    parser.add_argument("--out", type=Path, default=BENCH / "results")
    parser.add_argument("--tag", default="", help="suffix of the result file name")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME:K=V,K=V",
        help="every scenario: one more server of its fleet service with this extra environment (GRANIAN_*, WORKERS, "
        "or PYTHONPATH pointing at a patched copy of a package or a service's src, to A/B a change in the same run)",
    )
    parser.add_argument("--profile-gil", action="store_true", help="sample only the thread holding the GIL")
    parser.add_argument(
        "--profile-blocking",
        action="store_true",
        help="pause the worker for each sample: whole stacks (py-spy's --nonblocking, the default, can cut them)",
    )
    parser.add_argument("--profile-impl", action="append", default=[], help="implementations to profile (fleet)")
    parser.add_argument(
        "--profile-scenario", action="append", default=[], help="scenarios to profile (default: every one run)"
    )
    parser.add_argument(
        "--loop",
        choices=("uvloop", "asyncio"),
        default="uvloop",
        help="event loop of every server, fleet, ceilings and peer alike (Granian and uvicorn --loop)",
    )
    parser.add_argument(
        "--ceiling-asgi",
        action="store_true",
        help="scenario 1: the ceiling over Granian's ASGI interface too ('ceiling-asgi'), to show the interface's cost",
    )
    parser.add_argument(
        "--ceiling-env", action="append", default=[], metavar="K=V", help="extra environment for 'ceiling-b'"
    )
    parser.add_argument(
        "--profile",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="after each scenario's rounds, py-spy the fleet worker under load for SECONDS (--rounds 0: profile only)",
    )
    args = parser.parse_args()
    scenarios = {s.strip() for s in args.scenarios.split(",") if s.strip()}
    LOOP["name"] = args.loop

    extra = {**run_settings(), **chart_granian_env()}
    extra.update(dict(item.split("=", 1) for item in args.env))
    started_at = dt.datetime.now(dt.UTC)
    report: dict[str, Any] = {
        "date": started_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "command": "make bench" + (f" BENCH_ARGS={shlex.quote(' '.join(sys.argv[1:]))}" if sys.argv[1:] else ""),
        "argv": sys.argv[1:],
        "machine": machine(),
        "git": git_state(),
        "settings": {
            "connections": args.connections,
            "wrk_threads": args.threads,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "rounds": args.rounds,
            "event_loop": args.loop,
            "fleet_env": extra,
        },
        "start_to_ready_s": {},
        "rss_rest_kb": {},
        "scenarios": {},
    }
    servers: dict[str, Server] = {}

    def up(server: Server) -> Server:
        servers[server.name] = server
        server.start()
        report["start_to_ready_s"][server.name] = round(server.ready_s or 0, 2)
        time.sleep(0.5)
        report["rss_rest_kb"][server.name] = server.rss_kb()[0]
        print(f"{server.name}: ready in {server.ready_s:.2f} s, worker RSS {server.rss_kb()[0] / 1024:.0f} MiB")
        return server

    try:
        sink = Server(
            "sink", [sys.executable, str(BENCH / "sink.py"), str(PORTS["sink"])], dict(os.environ), PORTS["sink"]
        )
        sink.process = subprocess.Popen(
            sink.command, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        servers["sink"] = sink
        dsns = asyncio.run(fleetlib.prepare_databases(args.admin_dsn, DB_NAMES, fresh=True))
        keys = fleetlib.generate_keys(WORK / "keys")
        for service in ("identity", "avatars", "social"):
            fleetlib.migrate(service, fleet_env(service, dsns, keys, extra))

        def variants(service: str) -> dict[str, Server]:
            """--variant: more servers of this scenario's fleet service, each with its extra environment."""
            out = {}
            for offset, (name, env_text) in enumerate(parse_variants(args.variant)):
                variant_env = {**fleet_env(service, dsns, keys, extra), **env_text}
                workers = int(variant_env.pop("WORKERS", "1"))
                port = PORTS["variants"] + offset
                out[name] = up(Server(name, granian(service, port, workers), variant_env, port))
            return out

        def up_service(service: str) -> Server:
            """A fleet service with one worker on its own port, the run's environment."""
            env = fleet_env(service, dsns, keys, extra)
            return up(Server(service, granian(service, PORTS[service], 1), env, PORTS[service]))

        identity = up_service("identity")
        token, account_id = asyncio.run(seed_token(identity.url))
        target = args.target
        avatar_id = None
        if target in ("auto", "avatars"):
            try:
                avatars = up_service("avatars")
                avatar_id = asyncio.run(seed_avatar(avatars.url, token))
                target = "avatars"
            except (RuntimeError, TimeoutError, OSError, aiohttp.ClientError) as exc:
                if args.target == "avatars":
                    raise
                print(f"avatars unavailable ({exc}); scenario 1 runs on identity GET /v1/me")
                target = "identity"
        path = f"/v1/avatars/{avatar_id}" if target == "avatars" else "/v1/me"
        report["target"] = {"service": target, "path": path}

        peer_env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("GRANIAN_")},
            "DATABASE_URL": dsns[target],
            "BENCH_FEED_DATABASE_URL": dsns["social"],
            "AUTH_JWKS_URL": f"http://127.0.0.1:{PORTS['identity']}/.well-known/jwks.json",
            "AVATARS_PUBLIC_BASE_URL": f"http://127.0.0.1:{PORTS['avatars']}",
            "BENCH_ACCOUNT_ID": account_id,
            "OTEL_EXPORTER_OTLP_ENDPOINT": extra["OTEL_EXPORTER_OTLP_ENDPOINT"],
            "OTEL_TRACES_SAMPLER_ARG": extra["OTEL_TRACES_SAMPLER_ARG"],
            "RATE_LIMIT_RPS": extra["RATE_LIMIT_RPS"],
            "DB_POOL_MAX_SIZE": extra["DB_POOL_MAX_SIZE"],
            # the same Granian runtime settings as the fleet service: only the framework differs
            **{k: v for k, v in extra.items() if k == "GRANIAN_BACKPRESSURE"},
        }
        # The peers serve every scenario (one database pool per service they stand in for).
        # ceiling-b (no reset query on release, as the kit's pool) is the headline ceiling; the
        # ceiling that sends asyncpg's reset query is 'ceiling-reset' (scenario 1 only).
        peers: dict[str, Server] = {}
        if not args.no_fastapi:
            if not (PEER_VENV / "bin" / "python").exists():
                subprocess.run(["uv", "sync", "--frozen", "--project", str(BENCH / "peers" / "fastapi")], check=True)
            peers["fastapi"] = up(uvicorn_peer("fastapi", PORTS["fastapi"], peer_env))
        ceiling_b_env = {**peer_env, "BENCH_POOL_RESET": "0", **dict(i.split("=", 1) for i in args.ceiling_env)}
        peers["ceiling-b"] = up(ceiling_server("ceiling-b", PORTS["ceiling-b"], ceiling_b_env))
        if "1" in scenarios:
            print(f"\nscenario 1: GET {path} (fleet service: {target})")
            impls = {"fleet": servers[target], **peers}
            impls["ceiling-reset"] = up(ceiling_server("ceiling-reset", PORTS["ceiling"], peer_env))
            if not args.no_two_workers:
                impls["fleet-2w"] = up(
                    Server(
                        "fleet-2w",
                        granian(target, PORTS["avatars-2w"], 2),
                        fleet_env(target, dsns, keys, extra),
                        PORTS["avatars-2w"],
                    )
                )
            impls.update(variants(target))
            if args.ceiling_asgi:
                ceiling = ceiling_server("ceiling-asgi", PORTS["ceiling-asgi"], {**peer_env, "BENCH_POOL_RESET": "0"})
                argv = [*ceiling.command[:-1], "app:asgi_app"]
                argv[argv.index("rsgi")] = "asgi"
                ceiling.command = argv
                impls["ceiling-asgi"] = up(ceiling)
            auth = {"Authorization": f"Bearer {token}"}
            loads = {name: Load(f"{server.url}{path}", auth) for name, server in impls.items()}
            equivalence = asyncio.run(same_responses(impls, "GET", path, token, mask=()))
            rounds = alternate(
                impls,
                loads,
                rounds=args.rounds,
                duration=args.duration,
                warmup=args.warmup,
                connections=args.connections,
                threads=args.threads,
            )
            maybe_profile(report, "1", impls, loads, args)
            if rounds:
                report["scenarios"]["1"] = scenario_report(
                    f"GET {path.rsplit('/', 1)[0] + '/{id}' if target == 'avatars' else path}",
                    rounds,
                    list(impls),
                    equivalence,
                    rps_target=0.75,
                    cpu_target=1.5,
                )
            for name in [n for n in impls if n not in ("fleet", *peers)]:
                servers.pop(name).stop()

        if "2" in scenarios and target == "avatars":
            extras = variants("avatars")
            write_path(report, servers, {**peers, **extras}, token, account_id, dsns["avatars"], args)
            for name in extras:
                servers.pop(name).stop()
        elif "2" in scenarios:
            report["scenarios"]["2"] = {"skipped": "avatars is not available"}

        if "3" in scenarios:
            social = up_service("social")
            asyncio.run(seed_posts(social.url, token, avatar_id, 60))
            print("\nscenario 3: GET /v1/feed (one page of 20, authors' avatars from avatars)")
            impls = {"fleet": social, **peers, **variants("social")}
            auth = {"Authorization": f"Bearer {token}"}
            loads = {name: Load(f"{server.url}/v1/feed", auth) for name, server in impls.items()}
            equivalence = asyncio.run(same_responses(impls, "GET", "/v1/feed", token, mask=()))
            rounds = alternate(
                impls,
                loads,
                rounds=args.rounds,
                duration=args.duration,
                warmup=args.warmup,
                connections=args.connections,
                threads=args.threads,
            )
            maybe_profile(report, "3", impls, loads, args)
            if rounds:
                report["scenarios"]["3"] = scenario_report(
                    "GET /v1/feed", rounds, list(impls), equivalence, rps_target=0.6, cpu_target=None
                )
        with (
            contextlib.suppress(OSError, ValueError),
            urllib.request.urlopen(f"http://127.0.0.1:{PORTS['sink']}/stats", timeout=2) as response,
        ):
            report["otlp_sink"] = json.loads(response.read())
    finally:
        for server in reversed(list(servers.values())):
            server.stop()
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            asyncio.run(fleetlib.drop_databases(args.admin_dsn, DB_NAMES))

    args.out.mkdir(parents=True, exist_ok=True)
    stem = started_at.strftime("%Y-%m-%d") + (f"-{args.tag}" if args.tag else "")
    result_file = args.out / f"{stem}.json"
    result_file.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)
    print(f"\nresults: {_shown(result_file)}")
    chart = result_file.with_suffix(".png")
    rendered = subprocess.run(
        ["uv", "run", "--frozen", "--project", str(BENCH / "chart"), "python", str(BENCH / "chart" / "chart.py"),
         str(result_file), str(chart)],
        check=False,
        env={k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"},
    )  # fmt: skip
    if rendered.returncode == 0:
        print(f"chart:   {_shown(chart)}")
    return 0


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def parse_variants(items: list[str]) -> list[tuple[str, dict[str, str]]]:
    out = []
    for item in items:
        name, _, rest = item.partition(":")
        env = dict(pair.split("=", 1) for pair in rest.split(",") if pair)
        out.append((name, env))
    return out


def write_path(
    report: dict[str, Any],
    servers: dict[str, Server],
    peers: dict[str, Server],
    token: str,
    account_id: str,
    dsn: str,
    args: argparse.Namespace,
) -> None:
    """Scenario 2: complete the wizard on fresh drafts (written before each run, not measured)."""
    print("\nscenario 2: POST /v1/avatar-drafts/{id}/complete (fresh drafts, made before each run)")
    impls = {"fleet": servers["avatars"], **peers}
    expected: dict[str, float] = {}  # what each implementation's previous run measured
    drafts = {name: WORK / f"drafts-{name}.txt" for name in impls}

    def make_drafts(name: str, seconds: float) -> None:
        count = drafts_for(expected.get(name), seconds)
        drafts[name].write_text("\n".join(asyncio.run(insert_drafts(dsn, account_id, count))) + "\n")

    loads = {
        name: Load(
            f"{server.url}/",
            script=BENCH / "wrk" / "complete.lua",
            env={"BENCH_DRAFTS": str(drafts[name]), "BENCH_TOKEN": token},
        )
        for name, server in impls.items()
    }

    async def one_each() -> dict[str, Any]:
        ids = await insert_drafts(dsn, account_id, len(impls))
        paths = {name: f"/v1/avatar-drafts/{ids[i]}/complete" for i, name in enumerate(impls)}
        return await same_responses(impls, "POST", paths, token, mask=VARYING_WRITE_FIELDS)

    equivalence = asyncio.run(one_each())
    rounds = alternate(
        impls,
        loads,
        rounds=args.rounds,
        duration=args.duration,
        warmup=args.warmup,
        connections=args.connections,
        threads=args.threads,
        before_round=make_drafts,
        after_round=lambda name, figures: expected.update({name: figures["rps"]}),
    )
    maybe_profile(report, "2", impls, loads, args, before=make_drafts)
    if rounds:
        report["scenarios"]["2"] = scenario_report(
            "POST /v1/avatar-drafts/{id}/complete", rounds, list(impls), equivalence, rps_target=0.6, cpu_target=None
        )


#: What differs between two completions of two drafts (ids, times): masked by the equivalence check.
VARYING_WRITE_FIELDS = ("id", "draft_id", "render_url", "created_at", "updated_at")


async def same_responses(
    impls: dict[str, Server], method: str, path: str | dict[str, str], token: str, *, mask: tuple[str, ...]
) -> dict[str, Any]:
    """Send each implementation the same request; compare status, JSON body (``mask``ed fields
    aside) and ETag/Location with the fleet's. Raises when a peer answers differently: a ratio
    between two implementations that do different work would mean nothing."""
    answers: dict[str, tuple[int, Any, bytes, dict[str, str]]] = {}
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        for name, server in impls.items():
            target = path if isinstance(path, str) else path[name]
            async with http.request(method, f"{server.url}{target}", headers=headers) as response:
                raw = await response.read()
                kept = {k.lower(): v for k, v in response.headers.items() if k.lower() in ("etag", "location")}
                answers[name] = (response.status, json.loads(raw), raw, kept)

    def masked(body: Any) -> Any:
        return {k: ("*" if k in mask else v) for k, v in body.items()} if isinstance(body, dict) else body

    status, body, raw, kept = answers["fleet"]
    out: dict[str, Any] = {"fleet_status": status, "fleet_bytes": len(raw)}
    for name, (other_status, other_body, other_raw, other_kept) in answers.items():
        if name == "fleet":
            continue
        same = other_status == status and masked(other_body) == masked(body) and other_kept.keys() == kept.keys()
        if not same:
            msg = (
                f"{name} answers {method} differently from the fleet: "
                f"{other_status} {other_raw[:300]!r} vs {status} {raw[:300]!r}"
            )
            raise RuntimeError(msg)
        out[name] = "same bytes" if other_raw == raw else "same JSON" + (" (ids and times masked)" if mask else "")
    print(
        "  equivalence with the fleet: "
        + ", ".join(f"{k} {v}" for k, v in out.items() if k not in ("fleet_status", "fleet_bytes"))
    )
    return out


def scenario_report(
    title: str,
    rounds: list[dict[str, dict[str, Any]]],
    names: list[str],
    equivalence: dict[str, Any],
    *,
    rps_target: float,
    cpu_target: float | None,
) -> dict[str, Any]:
    """Medians per implementation, ratios within each round, and the issue's targets."""
    summary = summarise(rounds, names)
    ratios = {f"{a}_vs_{b}": round_ratios(rounds, a, b) for a in names for b in names if a != b and (
        a == "fleet" or b in ("ceiling-b",) or (a, b) == ("fleet-2w", "fleet"))}  # fmt: skip
    ratios = {k: v for k, v in ratios.items() if v is not None}
    cpu = {f"{name}_vs_ceiling-b": cpu_ratio(rounds, name, "ceiling-b") for name in names if name != "ceiling-b"}
    cpu = {k: v for k, v in cpu.items() if v is not None}
    fleet = summary["fleet"]
    targets = {f"fleet_vs_ceiling-b_rps_ge_{rps_target}": ratios.get("fleet_vs_ceiling-b", 0) >= rps_target}
    if cpu_target is not None:
        targets[f"fleet_cpu_per_request_le_{cpu_target}x_ceiling-b"] = cpu.get("fleet_vs_ceiling-b", 99) <= cpu_target
    targets["fleet_p99_le_3x_p50"] = fleet["p99_ms"] <= 3 * fleet["p50_ms"]
    targets["fleet_zero_errors"] = fleet["errors"] == 0
    return {
        "name": title,
        "implementations": summary,
        "ratios": ratios,
        "cpu_per_request_ratios": cpu,
        "equivalence": equivalence,
        "targets": targets,
    }


def cpu_ratio(rounds: list[dict[str, dict[str, Any]]], a: str, b: str) -> float | None:
    """Median over rounds of a/b server CPU per request measured in the same round."""
    values = [
        r[a]["server_cpu_us"] / r[b]["server_cpu_us"] for r in rounds if a in r and b in r and r[b]["server_cpu_us"]
    ]
    return statistics.median(values) if values else None


def maybe_profile(
    report: dict[str, Any],
    scenario: str,
    impls: dict[str, Server],
    loads: dict[str, Load],
    args: argparse.Namespace,
    before: Any = None,
) -> None:
    """--profile: py-spy the named implementations (the fleet by default) under this scenario's load."""
    if not args.profile or scenario not in (args.profile_scenario or scenario):
        return
    for name in args.profile_impl or ["fleet"]:
        if name not in impls:
            continue
        if before is not None:
            before(name, args.profile + 5)
        report.setdefault("profile", {})[f"{scenario}-{name}"] = profile(
            impls[name],
            loads[name],
            seconds=args.profile,
            connections=args.connections,
            threads=args.threads,
            gil=args.profile_gil,
            blocking=args.profile_blocking,
            tag=f"s{scenario}-{name}",
        )


def ceiling_server(name: str, port: int, env: dict[str, str]) -> Server:
    """The bare Granian RSGI ceiling (bench/peers/ceiling), on the run's event loop."""
    command = [
        sys.executable, "-m", "granian", "--interface", "rsgi", "--host", "127.0.0.1", "--port", str(port),
        "--workers", "1", "--no-access-log", "--loop", LOOP["name"],
        "--working-dir", str(BENCH / "peers" / "ceiling"), "app:app",
    ]  # fmt: skip
    return Server(name, command, env, port)


def uvicorn_peer(name: str, port: int, env: dict[str, str]) -> Server:
    """The FastAPI peer under uvicorn, one worker, on the run's event loop."""
    command = [
        str(PEER_VENV / "bin" / "python"), "-m", "uvicorn", "app:app", "--app-dir", str(BENCH / "peers" / "fastapi"),
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--no-access-log", "--loop", LOOP["name"],
    ]  # fmt: skip
    return Server(name, command, env, port)


def chart_granian_env() -> dict[str, str]:
    """The service chart's default Granian settings that matter under load (backpressure).

    ``scripts/fleet.py`` starts Granian with its own defaults; the bench runs the services the
    way the chart deploys them, so it reads ``charts/fleet-service/values.yaml``.
    """
    values = ROOT / "charts" / "fleet-service" / "values.yaml"
    try:
        import yaml

        granian = (yaml.safe_load(values.read_text()) or {}).get("granian") or {}
    except (OSError, ImportError, ValueError):
        return {}
    return {"GRANIAN_BACKPRESSURE": str(granian["backpressure"])} if "backpressure" in granian else {}


def git_state() -> dict[str, Any]:
    def git(*argv: str) -> str:
        done = subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "kit_changes": git("status", "--short", "--", "base-image/fleetkit/src").splitlines(),
    }


def fleetlib_admin() -> str:
    return os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def print_table(report: dict[str, Any]) -> None:
    print(f"\n{report['date']}  {report['machine']['cpu']} x{report['machine']['cores']}  {report['command']}")
    print(f"event loop of every server (fleet, ceilings, peer): {report['settings']['event_loop']}")
    for key, scenario in report["scenarios"].items():
        if "skipped" in scenario:
            print(f"\nscenario {key}: skipped ({scenario['skipped']})")
            continue
        print(f"\nscenario {key}: {scenario['name']}")
        print(
            f"  {'impl':<14} {'req/s':>9} {'cpu us/req':>10} {'db us/req':>9} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'errors':>7} {'RSS MiB':>8}"
        )
        for name, row in scenario["implementations"].items():
            print(
                f"  {name:<14} {row['rps']:>9.0f} {row.get('server_cpu_us', 0):>10.0f} "
                f"{row.get('database_cpu_us', 0):>9.0f} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} "
                f"{row['errors']:>7} {row['rss_worker_kb'] / 1024:>8.0f}"
            )
        for name, value in scenario.get("ratios", {}).items():
            print(f"  req/s {name:<28} {value:.2f}")
        for name, value in scenario.get("cpu_per_request_ratios", {}).items():
            print(f"  cpu/req {name:<26} {value:.2f}")
        for name, value in scenario.get("equivalence", {}).items():
            if not name.startswith("fleet_"):
                print(f"  response of {name:<22} {value} as the fleet's")
        for name, ok in scenario.get("targets", {}).items():
            print(f"  target {name:<44} {'met' if ok else 'NOT met'}")
    print("\nstart-to-ready (s):", ", ".join(f"{k} {v}" for k, v in report["start_to_ready_s"].items()))
    print("worker RSS at rest (MiB):", ", ".join(f"{k} {v / 1024:.0f}" for k, v in report["rss_rest_kb"].items()))


if __name__ == "__main__":
    sys.exit(main())
