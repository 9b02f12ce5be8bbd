"""Route inspection: every route is behind the kit middleware, and its ``fleetkit.policy.RoutePolicy``
(read from the built app: the route's own declaration, nothing else) is sound: the rate class is
off only on the kit's probes, which are exactly ``PROBE``, and no route carries untyped keys."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import msgspec

from .core import Violation

KIT_MIDDLEWARE = "fleetkit.middleware.KitMiddleware"
#: Routes the kit mounts on every service: public, and exempt from rate limiting (probes).
KIT_PUBLIC_PATHS: frozenset[str] = frozenset({"/livez", "/readyz", "/startupz", "/metrics"})
#: What the kit's probes declare (``fleetkit.policy.PROBE``), as the inspection reports it.
_PROBE: Mapping[str, str] = MappingProxyType({"access": "public", "rate": "off"})
_SCRIPT = Path(__file__).with_name("inspect_app.py")


def inspect_app(module: str, env: Mapping[str, str], extra_path: Path | None = None) -> dict[str, Any]:
    """Import ``module`` and call its ``create_app()`` in a fresh interpreter; its routes as data."""
    args = [sys.executable, "-P", str(_SCRIPT), module, *([str(extra_path)] if extra_path else [])]
    done = subprocess.run(args, env={**os.environ, **env}, capture_output=True, timeout=60, check=False)
    try:
        return dict(msgspec.json.decode(done.stdout))
    except msgspec.DecodeError:
        return {"error": f"exit {done.returncode}: {done.stderr.decode(errors='replace')[-2000:]}"}


def check_app_routes(
    report: Mapping[str, Any],
    kit_middleware: str = KIT_MIDDLEWARE,
    kit_paths: frozenset[str] = KIT_PUBLIC_PATHS,
) -> list[Violation]:
    where = Path(report.get("file") or "<app>")
    found: list[Violation] = []

    def flag(message: str) -> None:
        found.append(Violation(where, 1, "routes-guarded", message))

    if "error" in report:
        flag(f"create_app() failed:\n{report['error']}")
        return found
    for name in report["parallel_lists"]:
        flag(f"{name} repeats what routes declare: declare each route's policy on the route (fleetkit.policy)")
    if not any(kit_middleware in mro for mro in report["middleware"]):
        flag(f"{kit_middleware} is not in the app's middleware stack")
    for other in report["other_routes"]:
        flag(
            f"{other['kind']} {other['path']} ({other['handler']}): the kit middleware guards HTTP only "
            "(auth, rate limit, metrics); serve it over HTTP or extend the kit first"
        )
    seen_kit: set[str] = set()
    for route in report["routes"]:
        methods = route["methods"]
        if methods == ["OPTIONS"] and route["handler"].startswith(("litestar.", "fleetkit.methods.")):
            continue  # the preflight (OPTIONS) answer Litestar or the kit mounts on every path
        for method in methods:
            label = f"{method} {route['path']} ({route['handler']})"
            if route["loose_returns"]:
                flag(f"{label} responds with {', '.join(route['loose_returns'])}; use msgspec.Struct")
            policy = route["policy"]
            if policy is None:
                flag(f"{label}: no RoutePolicy: {route['policy_error']}")
                continue
            if route["path"] in kit_paths:
                seen_kit.add(route["path"])
                if policy != _PROBE:
                    flag(f"{label}: kit probe must be PROBE (public, rate class off), got {policy}")
            elif policy["rate"] == "off":
                flag(f"{label}: rate class off (only the kit's probes may turn it off), got {policy}")
    for path in sorted(kit_paths - seen_kit):
        flag(f"kit route {path} missing")
    return found
