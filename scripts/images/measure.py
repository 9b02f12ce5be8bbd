"""Print each image's layers and sizes and each service's time from ``docker run`` to /readyz 200.

    python scripts/images/measure.py [--runs N] [--markdown]

Sizes are uncompressed, as ``docker history`` reports them. "Adds" is what a service image holds
above the shared base runtime image (whose layers every node pulls once); the target is < 5 MB.
The readiness time is measured on fresh containers started exactly as ``make fleet-containers-up``
starts them (host network, read-only root, the service's own migrated database), on ports
8111-8113, so it can run beside the container fleet. Times are the median of ``--runs`` starts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fleet_containers as fc

ADD_TARGET_BYTES = 5 * 1000 * 1000
MEASURE_PORTS = {"identity": 8111, "avatars": 8112, "social": 8113}


def layers(image: str) -> list[tuple[int, str]]:
    """(size in bytes, instruction) per layer, oldest first."""
    out = fc.docker("history", "--no-trunc", "--human=false", "--format", "{{json .}}", image, capture=True).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    return [(int(row["Size"]), " ".join(row["CreatedBy"].split())) for row in reversed(rows)]


def image_size(image: str) -> int:
    return int(fc.docker("image", "inspect", "-f", "{{.Size}}", image, capture=True).stdout)


def root_layers(image: str) -> list[str]:
    out = fc.docker("image", "inspect", "-f", "{{json .RootFS.Layers}}", image, capture=True).stdout
    return list(json.loads(out))


def mb(size: int) -> str:
    return f"{size / 1e6:.2f} MB"


def print_layers(image: str) -> None:
    print(f"\n{image}: {mb(image_size(image))}")
    for size, instruction in layers(image):
        if size:
            print(f"  {mb(size):>10}  {instruction[:110]}")


def added_bytes(service_image: str, base_image: str) -> int:
    """Bytes in the service image's layers that the base runtime image does not have."""
    base = root_layers(base_image)
    own = root_layers(service_image)
    if own[: len(base)] != base:
        msg = f"{service_image} is not built on {base_image}: rebuild both (make images)"
        raise SystemExit(msg)
    return image_size(service_image) - image_size(base_image)


def readyz_seconds(fleet: fc.Fleet, service: str, runs: int) -> list[float]:
    name = f"fleetc-measure-{service}"
    times = []
    try:
        for _ in range(runs):
            times.append(fleet.start(service, name, MEASURE_PORTS[service]))
            fc.docker("rm", "-f", name, capture=True)
    finally:
        fc.docker("rm", "-f", name, check=False, capture=True)
    return times


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-timing", action="store_true", help="sizes only (no database needed)")
    args = parser.parse_args(argv)

    base = f"{fc.PREFIX}/base:{fc.TAG}"
    services = fc.built_services()
    for image in (f"{fc.PREFIX}/base-build:{fc.TAG}", base, *(fc.image(s) for s in services)):
        print_layers(image)

    fleet = None if args.no_timing else fc.Fleet(services, {})
    if fleet is not None:
        for service in services:
            fleet.migrate(service)
    summary = []
    failed = False
    for service in services:
        added = added_bytes(fc.image(service), base)
        failed |= added >= ADD_TARGET_BYTES
        ready = "" if fleet is None else f"{statistics.median(readyz_seconds(fleet, service, args.runs)):.2f} s"
        summary.append((service, added, ready))

    print(f"\nbase runtime ({base}): {mb(image_size(base))}")
    print(f"{'service':<10} {'adds':>10}  {'docker run -> /readyz 200 (median of ' + str(args.runs) + ')'}")
    for service, added, ready in summary:
        flag = "" if added < ADD_TARGET_BYTES else "  OVER the 5 MB target"
        print(f"{service:<10} {mb(added):>10}  {ready}{flag}")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"measure: {exc}") from exc
