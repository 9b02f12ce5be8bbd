"""Run the fleet as local processes: ``make dev`` and the e2e, reliability and security suites.

    python scripts/fleet.py dev          # the whole fleet with reload, one prefixed log stream

Databases: every service gets its own database and role on the server named by ``DATABASE_URL``
(``fleet_identity``, ``fleet_avatars``, ``fleet_social``). Without ``DATABASE_URL`` a throwaway
PostgreSQL cluster is created from the installed PostgreSQL binaries under ``.dev/pg``, or, as root,
under ``/var/tmp/fleet-dev-pg-<hash of the clone's path>`` (see ``throwaway_folder``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
#: Every service folder with an app; identity first (the others fetch its signing keys at start).
SERVICES: tuple[str, ...] = tuple(
    sorted(
        (p.name for p in (ROOT / "services").iterdir() if (p / "src" / p.name / "app.py").exists()),
        key=lambda name: ({"identity": 0, "avatars": 1, "social": 2}.get(name, 3), name),
    )
)
DEV_PORTS: Mapping[str, int] = {service: 8001 + index for index, service in enumerate(SERVICES)}
THROWAWAY_PORT = 54329
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 20.0


def _with_db(dsn: str, name: str, user: str | None = None) -> str:
    parts = urlsplit(dsn)
    netloc = parts.netloc
    if user is not None:
        host = netloc.rsplit("@", 1)[-1]
        netloc = f"{user}@{host}"
    return urlunsplit((parts.scheme, netloc, f"/{name}", parts.query, parts.fragment))


async def prepare_databases(admin_dsn: str, names: Mapping[str, str], *, fresh: bool) -> dict[str, str]:
    """Create one role and one database per service; return each service's DSN."""
    dsns = {}
    admin = await asyncpg.connect(admin_dsn, timeout=10)
    try:
        for service, database in names.items():
            role = f"fleet_{service}"
            exists = await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            if not exists:
                await admin.execute(f'CREATE ROLE "{role}" LOGIN')
            if fresh:
                await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
                await admin.execute(f'CREATE DATABASE "{database}" OWNER "{role}"')
            dsns[service] = _with_db(admin_dsn, database, user=role)
    finally:
        await admin.close()
    return dsns


async def drop_databases(admin_dsn: str, names: Mapping[str, str]) -> None:
    admin = await asyncpg.connect(admin_dsn, timeout=10)
    try:
        for database in names.values():
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await admin.close()


def free_port() -> int:
    """A port nothing listens on right now (the kernel picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(candidates[-1]) if candidates else None


def _postgres_user() -> str | None:
    """Who runs the throwaway cluster: PostgreSQL refuses to run as root, so root hands it to ``postgres``."""
    if os.geteuid() != 0:
        return None
    return "postgres" if _user_exists("postgres") else "nobody"


def throwaway_folder() -> Path:
    """Where this clone's throwaway cluster lives: ``.dev/pg``, or as root a private folder in /var/tmp.

    As root the cluster runs as ``postgres``, which cannot reach a clone under a folder only root may
    enter (root's home, a ``mktemp -d`` folder), and widening that folder's permissions is not ours to
    do. /var/tmp is open to every user and survives a reboot, as ``.dev/pg`` does; the name carries a
    hash of the clone's path, so two clones never share a cluster.
    """
    if _postgres_user() is None:
        return ROOT / ".dev" / "pg"
    digest = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    return Path("/var/tmp") / f"fleet-dev-pg-{digest}"


def _private_folder(folder: Path, user: str) -> None:
    """``folder`` exists, is a real folder owned by ``user`` and open to no one else; never a planted one."""
    account = pwd.getpwnam(user)
    try:
        folder.mkdir(mode=0o700, parents=True)
        os.chown(folder, account.pw_uid, account.pw_gid)
    except FileExistsError:
        found = folder.lstat()
        if not stat.S_ISDIR(found.st_mode) or found.st_uid != account.pw_uid or found.st_mode & 0o077:
            sys.exit(f"{folder} exists but is not a private folder of {user} (mode 0700): remove it and run again")


def throwaway_postgres(folder: Path, port: int = THROWAWAY_PORT) -> str:
    """Start (or reuse) a local PostgreSQL cluster in ``folder``; return its admin DSN."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        sys.exit(
            "No DATABASE_URL and no PostgreSQL server binaries (initdb, pg_ctl) found.\n"
            "Install them (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql@16)\n"
            "or set DATABASE_URL=postgresql://user@host:5432/postgres to use an existing server."
        )
    data, sock = folder / "data", folder / "sock"
    runas: list[str] = []
    user = _postgres_user()
    if user is not None:
        runas = ["runuser", "-u", user, "--"]
        _private_folder(folder, user)
    sock.mkdir(parents=True, exist_ok=True)
    if user is not None:
        shutil.chown(sock, user)
    if not (data / "PG_VERSION").exists():
        # cwd: the folder, which the cluster's user can enter (the clone itself may be closed to it).
        subprocess.run(
            [*runas, initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"], cwd=folder, check=True
        )
    status = subprocess.run([*runas, pg_ctl, "-D", str(data), "status"], cwd=folder, capture_output=True, check=False)
    if status.returncode != 0:
        options = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c max_connections=200"
        subprocess.run(
            [*runas, pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "postgres.log"), "-w", "start"],
            cwd=folder,
            check=True,
        )
    print(f"fleet: throwaway PostgreSQL on 127.0.0.1:{port} (data in {data}); stop with: make dev-db-stop")
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def generate_keys(folder: Path) -> Path:
    if not (folder / "current.pem").exists():
        subprocess.run(
            [sys.executable, "-m", "identity", "keygen", str(folder)], check=True, cwd=ROOT, stdout=subprocess.DEVNULL
        )
    return folder


#: Granian's HTTP/1 read buffer, which bounds a request's head (the chart's
#: ``granian.http1BufferSize``, the image's ``GRANIAN_HTTP1_BUFFER_SIZE``). Granian's own default
#: (408 KiB) let a 500 KB header through about one time in three: its limit is checked between
#: socket reads. Bodies stream through it and are bounded by ``MAX_BODY_BYTES`` instead.
HTTP1_BUFFER_BYTES = 131072


def service_env(
    service: str, dsn: str, ports: Mapping[str, int], keys: Path, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLEET_", "GRANIAN_"))}
    env.update(
        {
            "DATABASE_URL": dsn,
            "SERVICE_NAME": service,
            "AUTH_JWKS_URL": f"http://127.0.0.1:{ports['identity']}/.well-known/jwks.json",
            "IDENTITY_SIGNING_KEYS_DIR": str(keys),
            "AVATARS_PUBLIC_BASE_URL": f"http://127.0.0.1:{ports.get('avatars', 0)}",
            "SOCIAL_AVATARS_URL": f"http://127.0.0.1:{ports.get('avatars', 0)}",
            "PYTHONUNBUFFERED": "1",
            "GRANIAN_HTTP1_BUFFER_SIZE": str(HTTP1_BUFFER_BYTES),
        }
    )
    env.update(extra or {})
    return env


def migrate(service: str, env: Mapping[str, str]) -> None:
    subprocess.run([sys.executable, "-m", service, "migrate"], check=True, env=dict(env), cwd=ROOT)


def granian_command(service: str, port: int, *, reload: bool, workers: int = 1) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "asgi",
        "--factory",
        f"{service}.app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
    ]
    if reload:
        command += [
            "--reload",
            "--reload-paths",
            str(ROOT / "services" / service / "src"),
            "--reload-paths",
            str(ROOT / "base-image" / "fleetkit" / "src"),
        ]
    return command


def wait_ready(url: str, timeout: float = READY_TIMEOUT_S, process: subprocess.Popen[bytes] | None = None) -> float:
    """Poll ``url``/readyz until 200; return seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process is not None and process.poll() is not None:
            msg = f"{url}: the process exited with {process.returncode} before it was ready"
            raise RuntimeError(msg)
        with (
            contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError),
            urllib.request.urlopen(f"{url}/readyz", timeout=1) as response,
        ):
            if response.status == 200:
                return time.monotonic() - started
        time.sleep(0.1)
    msg = f"{url} was not ready within {timeout} s"
    raise TimeoutError(msg)


@dataclass
class LocalFleet:
    """The three services as Granian processes on 127.0.0.1, each with its own database."""

    dsns: Mapping[str, str]
    ports: Mapping[str, int]
    keys: Path
    log_dir: Path
    extra_env: Mapping[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def env(self, service: str) -> dict[str, str]:
        return service_env(service, self.dsns[service], self.ports, self.keys, self.extra_env)

    def migrate_all(self) -> None:
        for service in SERVICES:
            migrate(service, self.env(service))

    def start(self, service: str, *, wait: bool = True) -> None:
        log = (self.log_dir / f"{service}.log").open("ab")
        self.processes[service] = subprocess.Popen(
            granian_command(service, self.ports[service], reload=False),
            env=self.env(service),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if wait:
            wait_ready(self.url(service), process=self.processes[service])

    def stop(self, service: str, sig: int = signal.SIGTERM) -> int | None:
        process = self.processes.pop(service, None)
        if process is None:
            return None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            return process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            return process.wait()

    def start_all(self) -> None:
        """Identity first (the others fetch its signing keys), then the rest in parallel."""
        self.start(SERVICES[0])
        for service in SERVICES[1:]:
            self.start(service, wait=False)
        for service in SERVICES[1:]:
            wait_ready(self.url(service), process=self.processes[service])

    def stop_all(self) -> None:
        for service in reversed(SERVICES):
            self.stop(service)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("*.log")))


def _pump(prefix: str, stream: object) -> None:
    for line in iter(stream.readline, b""):  # type: ignore[attr-defined]
        sys.stdout.write(f"{prefix} | {line.decode(errors='replace')}")
        sys.stdout.flush()


@contextlib.contextmanager
def _dev_processes(dsns: Mapping[str, str], keys: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    processes = []
    try:
        for service in SERVICES:
            env = service_env(
                service, dsns[service], DEV_PORTS, keys, {"LOG_FORMAT": os.environ.get("LOG_FORMAT", "console")}
            )
            process = subprocess.Popen(
                granian_command(service, DEV_PORTS[service], reload=True),
                env=env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            threading.Thread(target=_pump, args=(f"{service:<8}", process.stdout), daemon=True).start()
            processes.append(process)
        yield processes
    finally:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def dev() -> int:
    dev_dir = ROOT / ".dev"
    admin = os.environ.get("DATABASE_URL") or throwaway_postgres(throwaway_folder())
    names = {service: f"fleet_{service}" for service in SERVICES}
    dsns = asyncio.run(prepare_databases(admin, names, fresh=False))
    keys = generate_keys(dev_dir / "keys")
    for service in SERVICES:
        migrate(service, service_env(service, dsns[service], DEV_PORTS, keys))
    with _dev_processes(dsns, keys) as processes:
        for service in SERVICES:
            wait_ready(f"http://127.0.0.1:{DEV_PORTS[service]}")
        print("\nfleet is up (Ctrl-C stops everything):")
        for service in SERVICES:
            url = f"http://127.0.0.1:{DEV_PORTS[service]}"
            print(f"  {service:<9} {url}   docs: {url}/docs   openapi: {url}/docs/openapi.json")
        print()
        stop = threading.Event()
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        while not stop.wait(0.5):
            if any(p.poll() is not None for p in processes):
                print("fleet: a service exited; stopping the others", file=sys.stderr)
                return 1
    print("fleet: stopped")
    return 0


def stop_throwaway() -> int:
    pg_ctl = _pg_bin("pg_ctl")
    data = throwaway_folder() / "data"
    if pg_ctl is None or not data.exists():
        return 0
    runas = ["runuser", "-u", data.owner(), "--"] if os.geteuid() == 0 else []
    stop = [*runas, pg_ctl, "-D", str(data), "-m", "fast", "stop"]
    return subprocess.run(stop, cwd=data.parent, check=False).returncode


if __name__ == "__main__":
    commands = {"dev": dev, "db-stop": stop_throwaway}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: {sys.argv[0]} {{{'|'.join(commands)}}}")
    sys.exit(commands[sys.argv[1]]())
