"""Run tests/e2e against a fleet someone else runs: the one entry point of the container tier and kind.

    python scripts/e2e_against.py --url identity=URL --url avatars=URL --url social=URL [-- PYTEST_ARGS]
    python scripts/e2e_against.py FLEET_IDENTITY_URL=URL ...   # the lines `fleet_containers.py urls` prints

Tests marked ``fleet`` stop and start local processes, which a fleet in containers or in kind does not
allow, so they are always deselected here (``-m "not fleet"``); one process, no xdist, since the
tests share the fleet's state. ``make test-images`` and ``make kind-test`` both call this, so the two
never drift apart.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("identity", "avatars", "social")
#: The marker expression every run against an external fleet uses.
MARKERS = "not fleet"
#: A whole e2e run; a hung fleet must not hang CI.
RUN_TIMEOUT_S = 1800


def parse_url(text: str) -> tuple[str, str]:
    """``identity=URL`` or ``FLEET_IDENTITY_URL=URL`` as (service, URL)."""
    name, _, url = text.partition("=")
    found = re.fullmatch(r"(?:FLEET_)?([A-Za-z]+)(?:_URL)?", name)
    service = found.group(1).lower() if found else ""
    if service not in SERVICES or not url.startswith(("http://", "https://")):
        msg = f"not a service URL: {text!r} (expected <service>=http://... for one of {', '.join(SERVICES)})"
        raise argparse.ArgumentTypeError(msg)
    return service, url


def pytest_command(python: str, extra: list[str]) -> list[str]:
    return [python, "-m", "pytest", str(ROOT / "tests" / "e2e"), "-m", MARKERS, "-p", "no:xdist", *extra]


def main(argv: list[str]) -> int:
    own, _, extra = (argv[: argv.index("--")], "--", argv[argv.index("--") + 1 :]) if "--" in argv else (argv, "", [])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", action="append", type=parse_url, default=[], help="<service>=<base URL>")
    parser.add_argument("positional", nargs="*", type=parse_url, help="FLEET_<SERVICE>_URL=<base URL>")
    args = parser.parse_args(own)
    urls = dict([*args.url, *args.positional])
    missing = [service for service in SERVICES if service not in urls]
    if missing:
        parser.error(f"no URL for {', '.join(missing)}")
    env = dict(os.environ)
    env.update({f"FLEET_{service.upper()}_URL": url for service, url in urls.items()})
    print(f"e2e against {', '.join(f'{s}={u}' for s, u in urls.items())} (-m {MARKERS!r})", flush=True)
    done = subprocess.run(pytest_command(sys.executable, extra), env=env, cwd=ROOT, timeout=RUN_TIMEOUT_S, check=False)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
