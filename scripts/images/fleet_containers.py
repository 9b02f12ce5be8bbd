"""Run the fleet as containers built from the real Dockerfiles (``make fleet-containers-up``).

    python scripts/images/fleet_containers.py up [--env KEY=VALUE ...]
    python scripts/images/fleet_containers.py urls      # FLEET_*_URL=... lines for tests/e2e
    python scripts/images/fleet_containers.py down

Every container uses the host network (this machine has no bridge) and listens on 127.0.0.1 only:
identity 8101, avatars 8102, social 8103, so it never collides with the local process fleet
(8001-8003). Each service gets its own database (``fleetc_<service>``) and role on the host
PostgreSQL (``TEST_DATABASE_URL``, default the local server). Migrations run the way the chart runs
them: a one-off ``python -m <service> migrate`` container from the same image, before the service
starts. The signing keys are generated once into ``.cache/images/fleet/keys`` and mounted read-only.
Containers run as the image's non-root user, with a read-only root filesystem, a tmpfs /tmp, no
capabilities and no privilege escalation, like the chart's restricted pods.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import fleet as harness  # noqa: E402

from fleetkit.testing import admin_dsn  # noqa: E402

DOCKER = os.environ.get("DOCKER", "docker")
PREFIX = os.environ.get("IMAGE_PREFIX", "fleet")
TAG = os.environ.get("IMAGE_TAG", "dev")
PORTS: Mapping[str, int] = {"identity": 8101, "avatars": 8102, "social": 8103}
DATABASES: Mapping[str, str] = {service: f"fleetc_{service}" for service in PORTS}
LABEL = "org.fleet.containers=fleet"
STATE = ROOT / ".cache" / "images" / "fleet"
KEYS_IN_CONTAINER = "/run/secrets/fleet/identity-keys"
RUNTIME_UID = 10001
READY_TIMEOUT_S = 60.0
#: Hardening every container gets; the chart's pod security context says the same.
HARDENING: tuple[str, ...] = (
    "--network",
    "host",
    "--read-only",
    "--tmpfs",
    "/tmp:rw,noexec,nosuid,size=64m",
    "--cap-drop",
    "ALL",
    "--security-opt",
    "no-new-privileges",
)


def image(service: str) -> str:
    return f"{PREFIX}/{service}:{TAG}"


def url(service: str) -> str:
    return f"http://127.0.0.1:{PORTS[service]}"


def docker(*args: str, check: bool = True, capture: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DOCKER, *args], check=check, text=True, capture_output=capture)


def built_services() -> list[str]:
    """The services whose image exists; the others are skipped, loudly."""
    found = []
    for service in PORTS:
        if docker("image", "inspect", image(service), check=False, capture=True).returncode == 0:
            found.append(service)
        else:
            print(f"fleet-containers: WARNING: no image {image(service)}: SKIPPING {service}", file=sys.stderr)
    return found


def signing_keys(identity_image: str) -> Path:
    """Ed25519 keys made by identity's own ``keygen``, inside its image, as its runtime user."""
    keys = STATE / "keys"
    if not (keys / "current.pem").exists():
        keys.mkdir(parents=True, exist_ok=True)
        os.chown(keys, RUNTIME_UID, RUNTIME_UID)
        docker(
            "run",
            "--rm",
            *HARDENING,
            "--volume",
            f"{keys}:/keys",
            identity_image,
            "python",
            "-m",
            "identity",
            "keygen",
            "/keys",
        )
    return keys


def service_env(service: str, dsn: str, extra: Mapping[str, str]) -> dict[str, str]:
    env = {
        "DATABASE_URL": dsn,
        "SERVICE_NAME": service,
        "GRANIAN_HOST": "127.0.0.1",
        "GRANIAN_PORT": str(PORTS[service]),
        "AUTH_JWKS_URL": f"{url('identity')}/.well-known/jwks.json",
        "AVATARS_PUBLIC_BASE_URL": url("avatars"),
        "SOCIAL_AVATARS_URL": url("avatars"),
        "IDENTITY_SIGNING_KEYS_DIR": KEYS_IN_CONTAINER,
    }
    env.update(extra)
    return env


def run_args(service: str, env: Mapping[str, str], keys: Path) -> list[str]:
    args = [*HARDENING, "--label", LABEL]
    for key, value in sorted(env.items()):
        args += ["--env", f"{key}={value}"]
    if service == "identity":
        args += ["--volume", f"{keys}:{KEYS_IN_CONTAINER}:ro"]
    return args


def wait_ready(service: str, container: str, port: int, started: float) -> float:
    """Seconds from ``started`` until /readyz answers 200; the logs are printed on failure."""
    try:
        harness.wait_ready(f"http://127.0.0.1:{port}", timeout=READY_TIMEOUT_S)
    except TimeoutError:
        docker("logs", "--tail", "60", container, check=False)
        state = docker(
            "inspect", "-f", "{{.State.Status}} exit={{.State.ExitCode}}", container, check=False, capture=True
        )
        msg = f"{service}: not ready within {READY_TIMEOUT_S} s ({state.stdout.strip()})"
        raise SystemExit(msg) from None
    return time.monotonic() - started


class Fleet:
    """The databases, keys and run arguments of the container fleet."""

    def __init__(self, services: Sequence[str], extra_env: Mapping[str, str]) -> None:
        self.services = list(services)
        names = {service: DATABASES[service] for service in self.services}
        self.dsns = asyncio.run(harness.prepare_databases(admin_dsn(), names, fresh=False))
        self.keys = signing_keys(image("identity")) if "identity" in self.services else STATE / "keys"
        self.extra_env = dict(extra_env)

    def env(self, service: str, **override: str) -> dict[str, str]:
        return service_env(service, self.dsns[service], {**self.extra_env, **override})

    def migrate(self, service: str) -> None:
        print(f"fleet-containers: {service}: python -m {service} migrate (one-off container)", flush=True)
        docker(
            "run",
            "--rm",
            *run_args(service, self.env(service), self.keys),
            image(service),
            "python",
            "-m",
            service,
            "migrate",
        )

    def start(self, service: str, name: str, port: int) -> float:
        """Start one service container; return the seconds from ``docker run`` to /readyz 200."""
        docker("rm", "-f", name, check=False, capture=True)
        env = self.env(service, GRANIAN_PORT=str(port))
        started = time.monotonic()
        docker("run", "--detach", "--name", name, *run_args(service, env, self.keys), image(service), capture=True)
        return wait_ready(service, name, port, started)


def up(extra_env: Mapping[str, str]) -> None:
    services = built_services()
    if not services:
        raise SystemExit("fleet-containers: no service image is built (make images)")
    fleet = Fleet(services, extra_env)
    for service in services:
        fleet.migrate(service)
    for service in services:
        seconds = fleet.start(service, f"fleetc-{service}", PORTS[service])
        print(f"fleet-containers: {service} ready at {url(service)} ({seconds:.2f} s from docker run)", flush=True)


def down() -> None:
    listed = docker("ps", "--all", "--quiet", "--filter", f"label={LABEL}", capture=True).stdout.split()
    if listed:
        docker("rm", "--force", *listed, capture=True)
    print(f"fleet-containers: removed {len(listed)} container(s)")
    asyncio.run(harness.drop_databases(admin_dsn(), DATABASES))
    print(f"fleet-containers: dropped databases {', '.join(DATABASES.values())}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("up", "down", "urls"))
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an extra environment variable for every service container",
    )
    args = parser.parse_args(argv)
    if args.command == "up":
        up(dict(item.split("=", 1) for item in args.env))
    elif args.command == "down":
        down()
    else:
        for service in PORTS:
            print(f"FLEET_{service.upper()}_URL={url(service)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
