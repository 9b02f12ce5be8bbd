"""A local cluster: N replicas of every service as Granian processes, each service behind HAProxy.

What it stands for in Kubernetes:

- a **replica** is a pod: one Granian process on its own loopback port; the replicas of one service
  share that service's database (one migration, like a Job before the rollout);
- the **proxy** is the ingress and the Service at once: one HAProxy (Debian's ``/usr/sbin/haproxy``,
  a config generated into a temporary folder) with one frontend per service on an ephemeral port,
  round-robin over the replicas, an active ``GET /readyz`` check every ``CHECK_INTERVAL_MS`` (what
  the kubelet's readiness probe and the endpoints controller do together), ``option forwardfor``
  (what an ingress adds), ``option redispatch`` and ``retry-on conn-failure`` (kube-proxy's
  endpoints are eventually consistent: a connection refused by a replica that just went away is
  retried on another one; a request that reached a replica is never replayed);
- **users** are distinct source addresses (127.0.0.2, 127.0.0.3, ...) the load generator binds.

Services call each other through the proxy (``AUTH_JWKS_URL``, ``SOCIAL_AVATARS_URL``), as they call
the other Service's name in the cluster. Everything listens on 127.0.0.1 on ports the kernel picks.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "scripts") not in sys.path:
    sys.path.insert(0, str(ROOT / "scripts"))

import fleet as harness  # noqa: E402

from fleetkit.testing import admin_dsn  # noqa: E402

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
#: Active readiness checks: every 250 ms, DOWN after 2 failures, UP after 2 successes. A replica
#: that turns unready gets no new request within ~0.5 s; SHUTDOWN_DRAIN_DELAY_S must exceed it.
CHECK_INTERVAL_MS = 250
CHECK_FALL = 2
CHECK_RISE = 2
#: The replicas keep serving this long after SIGTERM with readiness failing (the proxy's detection
#: time above plus a margin), like the chart's preStop sleep in a cluster.
DRAIN_DELAY_S = 3.0
#: How long one replica may take to stop after SIGTERM (drain delay, in-flight work, lifespan).
STOP_TIMEOUT_S = 20.0
#: Granian's event loop: ``auto`` (uvloop when installed), ``asyncio`` or ``uvloop``.
LOOPS = ("auto", "asyncio", "uvloop")


@dataclass
class Replica:
    """One Granian process of one service (a pod)."""

    service: str
    index: int
    port: int
    env: Mapping[str, str]
    log_path: Path
    loop: str = "auto"
    process: subprocess.Popen[bytes] | None = None

    @property
    def name(self) -> str:
        return f"{self.service}-{self.index}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [*harness.granian_command(self.service, self.port, reload=False), "--loop", self.loop]

    def start(self, *, wait: bool = True) -> None:
        if self.process is not None:
            msg = f"{self.name} is already running"
            raise RuntimeError(msg)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                env=dict(self.env),
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if wait:
            self.wait_ready()

    def wait_ready(self) -> float:
        return harness.wait_ready(self.url, process=self.process)

    def send(self, sig: int = signal.SIGTERM) -> None:
        """Send ``sig`` to the Granian main process only, as the kubelet signals a pod's PID 1."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(sig)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT_S) -> tuple[int, float]:
        """Signal, wait for the exit (SIGKILL the group after ``timeout``); (exit code, seconds)."""
        process = self.process
        if process is None:
            msg = f"{self.name} is not running"
            raise RuntimeError(msg)
        sent = time.monotonic()
        self.send(sig)
        try:
            code = process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            code = process.wait()
        took = time.monotonic() - sent
        with contextlib.suppress(ProcessLookupError):  # a worker left behind would hold the port
            os.killpg(process.pid, signal.SIGKILL)
        self.process = None
        return code, took

    def kill(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.process = None


def haproxy_config(
    frontends: Mapping[str, int], replicas: Mapping[str, Sequence[Replica]], admin: Path, *, retries: bool = True
) -> str:
    """The proxy's configuration: one frontend and one health-checked backend per service.

    ``retries=False`` drops ``option redispatch`` and ``retry-on`` (to measure what they save).
    """
    lines = [
        "global",
        "    maxconn 4096",
        f"    stats socket {admin} mode 600 level admin",
        "",
        "defaults",
        "    mode http",
        "    option forwardfor",
        *(["    option redispatch", "    retries 3", "    retry-on conn-failure"] if retries else ["    retries 0"]),
        "    timeout connect 1s",
        "    timeout client 30s",
        "    timeout server 30s",
        "    timeout http-request 10s",
        "    timeout check 1s",
        f"    default-server inter {CHECK_INTERVAL_MS}ms fall {CHECK_FALL} rise {CHECK_RISE}",
        "",
    ]
    for service, port in frontends.items():
        lines += [
            f"frontend {service}",
            f"    bind 127.0.0.1:{port}",
            f"    default_backend {service}",
            "",
            f"backend {service}",
            "    balance roundrobin",
            "    option httpchk",
            "    http-check send meth GET uri /readyz",
            "    http-check expect status 200",
            *(f"    server {r.name} 127.0.0.1:{r.port} check" for r in replicas[service]),
            "",
        ]
    return "\n".join(lines)


@dataclass
class Proxy:
    """HAProxy in the foreground, with its admin socket to read what it thinks of each replica."""

    folder: Path
    frontends: Mapping[str, int]
    retries: bool = True
    process: subprocess.Popen[bytes] | None = None

    @property
    def admin(self) -> Path:
        return self.folder / "admin.sock"

    def start(self, replicas: Mapping[str, Sequence[Replica]]) -> None:
        config = self.folder / "haproxy.cfg"
        config.write_text(haproxy_config(self.frontends, replicas, self.admin, retries=self.retries))
        subprocess.run([HAPROXY, "-c", "-q", "-f", str(config)], check=True)
        with (self.folder / "haproxy.log").open("ab") as log:
            self.process = subprocess.Popen(
                [HAPROXY, "-db", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def command(self, line: str) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(str(self.admin))
            s.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def states(self) -> dict[str, str]:
        """Every server's check status as HAProxy sees it: {"identity-0": "UP", ...}."""
        text = self.command("show stat")
        header, *rows = [line for line in text.splitlines() if line.strip()]
        columns = header.lstrip("# ").split(",")
        found = {}
        for row in rows:
            values = dict(zip(columns, row.split(","), strict=False))
            if values.get("svname") not in {"FRONTEND", "BACKEND"}:
                found[values["svname"]] = values["status"]
        return found

    def wait_state(self, name: str, *, up: bool, timeout: float = 30.0) -> float:
        """Poll until HAProxy has ``name`` UP (or not UP); seconds waited."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.states().get(name, "") == ("UP" if up else "DOWN"):  # not "UP 1/2": in transition
                return time.monotonic() - started
            time.sleep(0.05)
        msg = f"HAProxy did not see {name} {'UP' if up else 'DOWN'} within {timeout} s: {self.states()}"
        raise TimeoutError(msg)


@dataclass
class Topology:
    """Replicas of every service behind one HAProxy; see the module docstring."""

    folder: Path
    replicas_per_service: int = 2
    loop: str = "auto"
    extra_env: Mapping[str, str] = field(default_factory=dict)
    proxy_retries: bool = True
    services: Sequence[str] = harness.SERVICES
    tag: str = field(default_factory=lambda: f"{os.getpid()}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}")
    replicas: dict[str, list[Replica]] = field(default_factory=dict)
    proxy: Proxy | None = None
    names: dict[str, str] = field(default_factory=dict)

    def url(self, service: str) -> str:
        """The service's address for clients: its HAProxy frontend."""
        if self.proxy is None:
            msg = "the topology is not started"
            raise RuntimeError(msg)
        return f"http://127.0.0.1:{self.proxy.frontends[service]}"

    def urls(self) -> dict[str, str]:
        return {service: self.url(service) for service in self.services}

    def replica(self, service: str, index: int) -> Replica:
        return self.replicas[service][index]

    def all_replicas(self) -> list[Replica]:
        return [r for service in self.services for r in self.replicas[service]]

    def start(self) -> None:
        if self.loop not in LOOPS:
            msg = f"loop must be one of {LOOPS}, not {self.loop!r}"
            raise ValueError(msg)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.names = {service: f"cluster_{service}_{self.tag}" for service in self.services}
        dsns = asyncio.run(harness.prepare_databases(admin_dsn(), self.names, fresh=True))
        keys = harness.generate_keys(self.folder / "keys")
        frontends = {service: harness.free_port() for service in self.services}
        self.proxy = Proxy(self.folder, frontends, retries=self.proxy_retries)
        env = {"SHUTDOWN_DRAIN_DELAY_S": str(DRAIN_DELAY_S), **self.extra_env}
        for service in self.services:
            service_env = harness.service_env(service, dsns[service], frontends, keys, env)
            harness.migrate(service, service_env)
            self.replicas[service] = [
                Replica(service, i, harness.free_port(), service_env, self.folder / f"{service}-{i}.log", self.loop)
                for i in range(self.replicas_per_service)
            ]
        # identity first (the others fetch its keys through the proxy at start), then the rest
        self.proxy.start(self.replicas)
        for replica in self.replicas[self.services[0]]:
            replica.start(wait=False)
        for replica in self.replicas[self.services[0]]:
            replica.wait_ready()
            self.proxy.wait_state(replica.name, up=True)
        rest = [r for service in self.services[1:] for r in self.replicas[service]]
        for replica in rest:
            replica.start(wait=False)
        for replica in rest:
            replica.wait_ready()
            self.proxy.wait_state(replica.name, up=True)

    def restart(self, service: str, index: int) -> dict[str, float]:
        """One rolling-update step: SIGTERM, wait for the exit, start, wait until HAProxy has it UP."""
        if self.proxy is None:
            msg = "the topology is not started"
            raise RuntimeError(msg)
        replica = self.replica(service, index)
        code, stopped_after = replica.stop()
        if code != 0:
            msg = f"{replica.name} exited with {code} after SIGTERM (log: {replica.log_path})"
            raise RuntimeError(msg)
        started = time.monotonic()
        replica.start()
        ready_after = time.monotonic() - started
        in_rotation = ready_after + self.proxy.wait_state(replica.name, up=True)
        return {"stopped_after_s": stopped_after, "ready_after_s": ready_after, "in_rotation_after_s": in_rotation}

    def stop(self) -> None:
        """SIGTERM every replica at once (their drain delays overlap), wait, SIGKILL stragglers."""
        running = [r for r in self.all_replicas() if r.process is not None]
        for replica in running:
            replica.send(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for replica in running:
            try:
                replica.stop(timeout=max(deadline - time.monotonic(), 0.1))
            except RuntimeError:
                replica.kill()
        if self.proxy is not None:
            self.proxy.stop()
        if self.names:
            asyncio.run(harness.drop_databases(admin_dsn(), self.names))

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.folder.glob("*.log")))


@contextlib.contextmanager
def running(folder: Path, **options: object) -> Iterator[Topology]:
    """A started topology, stopped (databases dropped) on exit."""
    topology = Topology(folder, **options)  # type: ignore[arg-type]
    try:
        topology.start()
        yield topology
    finally:
        topology.stop()
