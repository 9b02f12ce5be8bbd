"""Run as a script: import ``<module>``, call ``create_app()``, print its routes as JSON.

A subprocess per app keeps each service's process-wide set-up (logging, metrics registries,
environment) away from the test process and from the other services.
Usage: ``python inspect_app.py <module> [<extra sys.path entry>]``.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
import traceback
import typing
from typing import Any

import msgspec


def _dataclasses_in(annotation: Any, seen: set[int] | None = None) -> list[str]:
    seen = seen if seen is not None else set()
    if id(annotation) in seen:
        return []
    seen.add(id(annotation))
    found = []
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        found.append(f"{annotation.__module__}.{annotation.__qualname__}")
    if typing.is_typeddict(annotation) or (
        isinstance(annotation, type) and any(b.__module__.startswith("pydantic") for b in annotation.__mro__)
    ):
        found.append(f"{annotation.__module__}.{annotation.__qualname__}")
    for arg in typing.get_args(annotation):
        found += _dataclasses_in(arg, seen)
    return found


def _middleware_names(app: Any) -> list[list[str]]:
    names = []
    for item in app.middleware:
        cls = getattr(item, "middleware", item)
        cls = cls if isinstance(cls, type) else type(cls)
        names.append([f"{c.__module__}.{c.__qualname__}" for c in cls.__mro__])
    return names


def inspect(module_name: str) -> dict[str, Any]:
    module = importlib.import_module(module_name)
    report: dict[str, Any] = {"file": getattr(module, "__file__", ""), "routes": []}
    app = module.create_app()
    public = getattr(module, "PUBLIC_ROUTES", None)
    report["public_routes_type"] = type(public).__name__
    report["public_routes"] = [list(p) for p in public] if isinstance(public, frozenset | set | tuple | list) else None
    report["middleware"] = _middleware_names(app)
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            fn = getattr(handler.fn, "__wrapped__", handler.fn)
            if not hasattr(handler, "http_methods"):
                continue
            try:
                returns = handler.parsed_fn_signature.return_type.annotation
            except Exception:  # noqa: BLE001 - a diagnostic script: report, never crash
                returns = None
            report["routes"].append(
                {
                    "path": route.path,
                    "path_format": getattr(route, "path_format", route.path),
                    "methods": sorted(handler.http_methods),
                    "public": handler.opt.get("public"),
                    "rate_limit": handler.opt.get("rate_limit"),
                    "handler": f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', '?')}",
                    "dataclass_returns": _dataclasses_in(returns),
                }
            )
    return report


if __name__ == "__main__":
    if len(sys.argv) > 2:
        sys.path.insert(0, sys.argv[2])
    try:
        result = inspect(sys.argv[1])
    except BaseException:  # noqa: BLE001 - report the failure to the test, which fails on it
        result = {"error": traceback.format_exc(limit=8)}
    sys.stdout.buffer.write(msgspec.json.encode(result))
