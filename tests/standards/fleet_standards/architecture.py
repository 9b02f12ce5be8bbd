"""Architecture checks: vertical slices, what a slice may import, the API contract in schema.py."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

from .core import SLICE_FILES, Module, Violation, modules, python_files, violation

_HTTP_SERVER = re.compile(r"^(litestar|starlette|fastapi|flask|django|sanic|quart|aiohttp\.web\w*)(\.|$)")
_FOREIGN_STACK = re.compile(
    r"^(pydantic|pydantic_core|pydantic_settings|fastapi|flask|django|sanic|quart|starlette|uvicorn|gunicorn|"
    r"hypercorn|sqlalchemy|psycopg|psycopg2|databases|tortoise|peewee|trio|gevent|eventlet)(\.|$)"
)


def check_handlers_free_of_http(paths: Iterable[Path]) -> list[Violation]:
    """``features/**/handler.py`` imports no HTTP framework code (litestar, aiohttp.web, ...)
    and not its slice's external ``schema`` (handlers take commands)."""
    found = []
    for m in modules(paths):
        if m.slice is None or m.path.name != "handler.py":
            continue
        own_schema = ".".join([m.slice[0], "features", m.slice[1], m.slice[2], "schema"])
        for node, name in m.imported():
            if _HTTP_SERVER.match(name):
                found.append(violation(m, node, "handler-no-http", f"handler imports {name}"))
            elif name == own_schema:
                found.append(violation(m, node, "handler-no-http", "handler imports schema.py; take a command"))
    return _dedupe(found)


def check_slices_independent(paths: Iterable[Path]) -> list[Violation]:
    """A module in ``features/<a>/<b>/`` imports nothing from another slice folder."""
    found = []
    for m in modules(paths):
        if m.slice is None:
            continue
        package, area, action = m.slice
        prefix = f"{package}.features."
        for node, name in m.imported():
            if not name.startswith(prefix):
                continue
            parts = name[len(prefix) :].split(".")
            if len(parts) >= 2 and (parts[0], parts[1]) != (area, action):
                other = f"{parts[0]}/{parts[1]}"
                found.append(
                    violation(
                        m,
                        node,
                        "slices-independent",
                        f"slice {area}/{action} imports slice {other}",
                    )
                )
    return _dedupe(found)


def check_no_foreign_stack(paths: Iterable[Path]) -> list[Violation]:
    """The stack is Litestar + msgspec + asyncpg on asyncio: no pydantic, other web frameworks,
    ORMs or other DB drivers, other event loops. Run over every Python file in the repository."""
    found = []
    for m in modules(paths):
        for node in ast.walk(m.tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            found += [violation(m, node, "stack", f"imports {n}") for n in names if _FOREIGN_STACK.match(n)]
    return found


def _slice_dirs(paths: Iterable[Path]) -> list[Path]:
    dirs = set()
    for path in paths:
        for features in (p for p in path.rglob("features") if p.is_dir()):
            dirs.update(
                d
                for area in features.iterdir()
                if area.is_dir() and area.name != "__pycache__"
                for d in area.iterdir()
                if d.is_dir() and d.name != "__pycache__"
            )
    return sorted(dirs)


def check_slice_files(paths: Iterable[Path]) -> list[Violation]:
    """Every ``features/<area>/<action>/`` has router, schema, command, handler and queries;
    slice files never sit anywhere else under ``features/``."""
    found = []
    slice_dirs = _slice_dirs(paths)
    for folder in slice_dirs:
        missing = [f for f in SLICE_FILES if not (folder / f).is_file()]
        if missing:
            found.append(Violation(folder, 1, "slice-files", f"slice {folder.name} lacks {', '.join(missing)}"))
    for file in python_files(paths):
        if "features" in file.parts and file.name in SLICE_FILES and file.parent not in slice_dirs:
            found.append(Violation(file, 1, "slice-files", "slice file outside features/<area>/<action>/"))
    return found


_LAYER_NAMES = frozenset(
    {
        "repositories",
        "repository",
        "repo",
        "services",
        "service",
        "models",
        "controllers",
        "routers",
        "routes",
        "handlers",
        "schemas",
        "queries",
        "dao",
        "crud",
        "managers",
        "utils",
        "helpers",
        "common",
    }
)


def check_grouped_by_feature(paths: Iterable[Path]) -> list[Violation]:
    """A service package is grouped by feature: no layer modules (repositories, services,
    models, handlers...) beside ``features/``."""
    found = []
    for m in modules(paths):
        parts = m.name.split(".")
        if m.is_kit or m.is_package or "features" in parts or len(parts) < 2:
            continue
        if parts[1] in _LAYER_NAMES:
            found.append(violation(m, None, "vertical-slices", f"layer module {'.'.join(parts[:2])} in a service"))
    return _dedupe(found)


_DATACLASS_LIKE = re.compile(r"^(dataclasses\.|attr\.|attrs\.|typing\.NamedTuple|typing\.TypedDict|pydantic)")
_FORBIDDEN_REQUEST_FIELDS = frozenset(
    {
        "user_id",
        "owner_id",
        "author_id",
        "account_id",
        "token",
        "access_token",
        "authorization",
        "bearer",
    }
)


def check_schema_contracts(paths: Iterable[Path]) -> list[Violation]:
    """schema.py is msgspec.Struct only (no dataclasses, attrs, NamedTuple, TypedDict), and no
    ``*Request`` Struct takes the caller's identity or token (user_id, owner_id, token...)."""
    found = []
    for m in modules(paths):
        if m.slice is None or m.path.name != "schema.py":
            continue
        for node in ast.walk(m.tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for n in [a.name for a in node.names] if isinstance(node, ast.Import) else [m.absolute(node)]:
                    if n.split(".")[0] in {"dataclasses", "attr", "attrs", "pydantic"}:
                        found.append(violation(m, node, "schema-msgspec", f"schema.py imports {n}"))
            if not isinstance(node, ast.ClassDef):
                continue
            for expr in [*node.decorator_list, *node.bases]:
                target = expr.func if isinstance(expr, ast.Call) else expr
                name = m.resolve(target) or ""
                if _DATACLASS_LIKE.match(name):
                    found.append(
                        violation(
                            m,
                            expr,
                            "schema-msgspec",
                            f"{node.name} uses {name}; use msgspec.Struct",
                        )
                    )
            if "Request" in node.name:
                for stmt in node.body:
                    if isinstance(stmt, ast.AnnAssign) and ast.unparse(stmt.target) in _FORBIDDEN_REQUEST_FIELDS:
                        field = ast.unparse(stmt.target)
                        found.append(
                            violation(
                                m,
                                stmt,
                                "no-identity-in-schema",
                                f"{node.name}.{field}: identity comes from the token",
                            )
                        )
    return found


def check_router_uses_command(paths: Iterable[Path]) -> list[Violation]:
    """Schema = external, command = internal: router.py builds its slice's command."""
    found = []
    for m in modules(paths):
        if m.slice is None or m.path.name != "router.py":
            continue
        own = ".".join([m.slice[0], "features", m.slice[1], m.slice[2], "command"])
        if not any(name == own for _, name in m.imported()):
            found.append(violation(m, None, "command-used", "router.py never imports its slice's command"))
    return found


def _dedupe(found: list[Violation]) -> list[Violation]:
    return list(dict.fromkeys(found))


__all__ = [
    "Module",
    "check_grouped_by_feature",
    "check_handlers_free_of_http",
    "check_no_foreign_stack",
    "check_router_uses_command",
    "check_schema_contracts",
    "check_slice_files",
    "check_slices_independent",
]
