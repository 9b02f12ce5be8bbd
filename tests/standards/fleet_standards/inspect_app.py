"""Run as a script: import ``<module>``, call ``create_app()``, print its routes as JSON.

A subprocess per app keeps each service's process-wide set-up (logging, metrics registries,
environment) away from the test process and from the other services.
Usage: ``python inspect_app.py <module> [<extra sys.path entry>]``.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import importlib
import sys
import traceback
import typing
from typing import Any

import msgspec

from fleetkit.policy import RoutePolicyError, policy_of, route_label

#: Response types that are not a contract: the body's shape is whatever the code put in it.
_LOOSE = frozenset({dict, list, set, frozenset, tuple, object, typing.Any, collections.abc.Mapping})


def _name(annotation: Any) -> str:
    if annotation is typing.Any:
        return "typing.Any"
    return f"{getattr(annotation, '__module__', '?')}.{getattr(annotation, '__qualname__', repr(annotation))}"


def _is_record_type(annotation: Any) -> bool:
    """A dataclass, TypedDict, NamedTuple or pydantic model: a shape that is not a msgspec Struct."""
    if typing.is_typeddict(annotation):
        return True
    if not isinstance(annotation, type):
        return False
    return (
        dataclasses.is_dataclass(annotation)
        or (issubclass(annotation, tuple) and hasattr(annotation, "_fields"))
        or any(b.__module__.startswith("pydantic") for b in annotation.__mro__)
    )


def _loose_returns(annotation: Any, seen: set[int] | None = None) -> list[str]:
    """Types in a route's return annotation that are not msgspec Structs or plain values: dataclasses,
    TypedDicts, NamedTuples, pydantic models, and untyped containers (a bare ``dict``, ``dict[str, Any]``,
    ``Any``), at any depth (``list[dict]``, ``Response[Out]``)."""
    seen = seen if seen is not None else set()
    if id(annotation) in seen:
        return []
    seen.add(id(annotation))
    found = []
    origin = typing.get_origin(annotation)
    if _is_record_type(annotation) or (annotation in _LOOSE and origin is None):
        found.append(_name(annotation))
    elif origin in (dict, collections.abc.Mapping):
        found.append(f"{_name(origin)}[...]")
    for arg in typing.get_args(annotation):
        found += _loose_returns(arg, seen)
    return found


#: Module-level lists that would repeat what routes declare (their RoutePolicy): none may exist.
_PARALLEL_LISTS = ("PUBLIC_ROUTES",)


def _middleware_names(app: Any) -> list[list[str]]:
    names = []
    for item in app.middleware:
        cls = getattr(item, "middleware", item)
        cls = cls if isinstance(cls, type) else type(cls)
        names.append([f"{c.__module__}.{c.__qualname__}" for c in cls.__mro__])
    return names


def inspect(module_name: str) -> dict[str, Any]:
    module = importlib.import_module(module_name)
    report: dict[str, Any] = {"file": getattr(module, "__file__", ""), "routes": [], "other_routes": []}
    app = module.create_app()
    report["parallel_lists"] = sorted(name for name in _PARALLEL_LISTS if hasattr(module, name))
    report["middleware"] = _middleware_names(app)
    for route in app.routes:
        single = getattr(route, "route_handler", None)  # WebSocket and ASGI routes carry one handler
        for handler in getattr(route, "route_handlers", None) or ([single] if single is not None else []):
            fn = getattr(handler.fn, "__wrapped__", handler.fn)
            where = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', '?')}"
            if not hasattr(handler, "http_methods"):
                # WebSocket and raw ASGI handlers: the kit middleware cannot guard them, the check refuses them.
                report["other_routes"].append(
                    {"path": route.path, "kind": type(handler).__name__, "handler": where, "opt": sorted(handler.opt)}
                )
                continue
            try:
                returns = handler.parsed_fn_signature.return_type.annotation
            except Exception:  # noqa: BLE001 - a diagnostic script: report, never crash
                returns = None
            try:
                resolved = policy_of(handler.opt, route_label(handler.http_methods, [route.path], handler.fn))
                policy: dict[str, str] | None = {"access": resolved.access.value, "rate": resolved.rate.value}
                policy_error = None
            except RoutePolicyError as exc:
                policy, policy_error = None, str(exc)
            report["routes"].append(
                {
                    "path": route.path,
                    "path_format": getattr(route, "path_format", route.path),
                    "methods": sorted(handler.http_methods),
                    "policy": policy,
                    "policy_error": policy_error,
                    "handler": where,
                    "loose_returns": _loose_returns(returns),
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
