"""Route inspection: every route is behind the kit middleware, rate limited, and authenticated
unless it is on the service's explicit ``PUBLIC_ROUTES`` list."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from .core import Violation

KIT_MIDDLEWARE = "fleetkit.middleware.KitMiddleware"
#: Routes the kit mounts on every service: public, and exempt from rate limiting (probes).
KIT_PUBLIC_PATHS: frozenset[str] = frozenset({"/livez", "/readyz", "/startupz", "/metrics"})
#: Litestar's own OpenAPI routes, which the kit mounts public (still rate limited) on every service.
KIT_DOCS_PREFIX = "/docs"
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
    if report["public_routes_type"] != "frozenset" or report["public_routes"] is None:
        flag(f"PUBLIC_ROUTES must be a frozenset of (METHOD, path), got {report['public_routes_type']}")
    public = {tuple(p) for p in report["public_routes"] or []}
    if not any(kit_middleware in mro for mro in report["middleware"]):
        flag(f"{kit_middleware} is not in the app's middleware stack")
    for other in report["other_routes"]:
        flag(
            f"{other['kind']} {other['path']} ({other['handler']}): the kit middleware guards HTTP only "
            "(auth, rate limit, metrics); serve it over HTTP or extend the kit first"
        )
    seen_kit: set[str] = set()
    matched: set[tuple[str, ...]] = set()
    for route in report["routes"]:
        methods = route["methods"]
        if methods == ["OPTIONS"] and route["handler"].startswith(("litestar.", "fleetkit.methods.")):
            continue  # the preflight (OPTIONS) answer Litestar or the kit mounts on every path
        for method in methods:
            keys = {(method, route["path"]), (method, route["path_format"])}
            listed = bool(keys & public)
            matched |= keys & public
            label = f"{method} {route['path']} ({route['handler']})"
            if route["loose_returns"]:
                flag(f"{label} responds with {', '.join(route['loose_returns'])}; use msgspec.Struct")
            if route["path"] in kit_paths:
                seen_kit.add(route["path"])
                if route["public"] is not True or route["rate_limit"] != "off":
                    flag(f"{label}: kit probe must have opt public=True, rate_limit='off'")
                continue
            if route["rate_limit"] == "off":
                flag(f"{label}: rate limiting is off (only the kit's probes may turn it off)")
            framework_docs = route["handler"].startswith("litestar.") and (
                route["path"] == KIT_DOCS_PREFIX or route["path"].startswith(KIT_DOCS_PREFIX + "/")
            )
            if route["public"] is True and not listed and not framework_docs:
                flag(f"{label}: opt public=True but not on PUBLIC_ROUTES")
            elif listed and route["public"] is not True:
                flag(f"{label}: on PUBLIC_ROUTES but opt public is {route['public']!r}")
            elif route["public"] not in (None, False, True):
                flag(f"{label}: opt public must be True or absent, got {route['public']!r}")
    for path in sorted(kit_paths - seen_kit):
        flag(f"kit route {path} missing")
    for entry in sorted(public - matched):
        flag(f"PUBLIC_ROUTES entry {entry} matches no route")
    return found
