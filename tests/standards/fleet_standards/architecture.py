"""Architecture checks: vertical slices, what a slice may import, the API contract in schema.py."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from .core import SLICE_FILES, Module, Violation, modules, python_files, violation

_HTTP_SERVER = re.compile(r"^(litestar|starlette|fastapi|flask|django|sanic|quart|aiohttp\.web\w*)(\.|$)")
_FOREIGN_STACK = re.compile(
    r"^(pydantic|pydantic_core|pydantic_settings|fastapi|flask|django|sanic|quart|starlette|uvicorn|gunicorn|"
    r"hypercorn|sqlalchemy|psycopg|psycopg2|databases|tortoise|peewee|trio|gevent|eventlet)(\.|$)"
)


#: The kit's HTTP side: responses, problem documents, middleware, app and routes. A handler that
#: imports them builds HTTP answers itself (``return problem(404, ...)``), which is the router's job.
_KIT_HTTP = re.compile(
    r"^fleetkit\.(responses|middleware|app|health|openapi|di)(\.|$)|^fleetkit\.problems\.(problem|Problem|problem_spec|\w*_handler)$"
)


def check_handlers_free_of_http(paths: Iterable[Path]) -> list[Violation]:
    """``features/**/handler.py`` imports no HTTP framework code (litestar, aiohttp.web, ...),
    not the kit's HTTP side (responses, problems, middleware) and not its slice's external
    ``schema`` (handlers take commands)."""
    found = []
    for m in modules(paths):
        if m.slice is None or m.path.name != "handler.py":
            continue
        own_schema = ".".join([m.slice[0], "features", m.slice[1], m.slice[2], "schema"])
        for node, name in m.imported():
            if _HTTP_SERVER.match(name) or _KIT_HTTP.match(name):
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
        layer = parts[1].rsplit("_", 1)[-1]
        if parts[1] in _LAYER_NAMES or (layer in _LAYER_NAMES and layer not in {"queries", "common"}):
            found.append(violation(m, None, "vertical-slices", f"layer module {'.'.join(parts[:2])} in a service"))
    return _dedupe(found)


_DATACLASS_LIKE = re.compile(r"^(dataclasses\.|attr\.|attrs\.|typing\.NamedTuple|typing\.TypedDict|pydantic)")
#: A request field naming the caller (or the caller's credential): identity comes from the token.
#: The refresh token of refresh/logout is the credential being exchanged, not the caller's identity.
_IDENTITY_FIELD = re.compile(
    r"^((user|owner|author|account|creator|member|actor|caller|principal|subject|requester|me)(_?id)?|uid|sub|"
    r"token|access_token|id_token|jwt|authorization|bearer)$",
    re.IGNORECASE,
)


def check_schema_contracts(paths: Iterable[Path]) -> list[Violation]:
    """schema.py is msgspec.Struct only (no dataclasses, attrs, NamedTuple, TypedDict), and no
    request body (a ``*Request`` Struct, or any Struct a router takes as ``data``) carries the
    caller's identity or token (user_id, ownerId, owner, uid, token...), renamed fields included."""
    found = []
    mods = modules(paths)
    bodies = request_bodies(mods)
    for m in mods:
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
            if "Request" in node.name or node.name in bodies.get(m.name, set()):
                found += _identity_fields(m, node)
    return found


def _wire_names(m: Module, stmt: ast.AnnAssign) -> list[str]:
    """The Python name of a Struct field and, when ``msgspec.field(name=...)`` renames it, its wire name."""
    names = [ast.unparse(stmt.target)]
    value = stmt.value
    if isinstance(value, ast.Call) and (m.resolve(value.func) or "").endswith("field"):
        names += [k.value.value for k in value.keywords if k.arg == "name" and isinstance(k.value, ast.Constant)]
    return names


def _identity_fields(m: Module, cls: ast.ClassDef) -> list[Violation]:
    found = []
    for stmt in cls.body:
        if not isinstance(stmt, ast.AnnAssign):
            continue
        for name in _wire_names(m, stmt):
            snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
            if _IDENTITY_FIELD.match(snake):
                found.append(
                    violation(m, stmt, "no-identity-in-schema", f"{cls.name}.{name}: identity comes from the token")
                )
                break
    return found


def request_bodies(mods: Iterable[Module]) -> dict[str, set[str]]:
    """schema module -> the Struct names a router takes as its request body (``data: X`` or
    ``data: JSONBody[X]``), whatever they are called."""
    found: dict[str, set[str]] = {}
    for m in mods:
        if m.slice is None or m.path.name != "router.py":
            continue
        for func in (n for n in ast.walk(m.tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)):
            for arg in [*func.args.args, *func.args.kwonlyargs]:
                if arg.arg != "data" or arg.annotation is None:
                    continue
                for sub in ast.walk(arg.annotation):
                    name = m.resolve(sub) if isinstance(sub, ast.Name | ast.Attribute) else None
                    if name and "." in name:
                        module, cls = name.rsplit(".", 1)
                        found.setdefault(module, set()).add(cls)
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
            continue
        built = any(
            isinstance(node, ast.Call) and (m.resolve(node.func) or "").startswith(own + ".")
            for node in ast.walk(m.tree)
        )
        if not built:
            found.append(violation(m, None, "command-used", "router.py imports its command but never builds one"))
    return found


_EXCEPTION_BASE = re.compile(r"(^|\.)(BaseException|Exception|\w+Error|\w+Exception)$")


def _base_name(m: Module) -> Callable[[ast.expr], str]:
    return lambda base: m.resolve(base) or ""


def check_services_define_no_exceptions(paths: Iterable[Path]) -> list[Violation]:
    """Service code defines no exception classes: an expected outcome is a value a handler returns,
    so a service-made exception can only be control flow (faults are the kit's and the libraries')."""
    found = []
    mods = modules(paths)  # the kit's exceptions too: a service subclassing one makes its own
    classes = [(m, n) for m in mods for n in ast.walk(m.tree) if isinstance(n, ast.ClassDef)]
    made: set[str] = set()  # the service's own exception classes, found to a fixpoint (subclasses of subclasses)
    while True:
        more = {
            f"{m.name}.{n.name}"
            for m, n in classes
            if any(
                _EXCEPTION_BASE.search(b) or b in made or f"{m.name}.{b}" in made for b in map(_base_name(m), n.bases)
            )
        } - made
        if not more:
            break
        made |= more
    for m, node in classes:
        if f"{m.name}.{node.name}" in made and not m.is_kit:
            found.append(
                violation(
                    m,
                    node,
                    "no-exceptions-for-control-flow",
                    f"{node.name} is an exception defined in a service; return an outcome value",
                )
            )
    return found


_ANY = frozenset({"typing.Any", "typing_extensions.Any", "builtins.object", "object"})


def check_slices_precisely_typed(paths: Iterable[Path]) -> list[Violation]:
    """A slice's contract, command and handler say what they take and give: no ``Any`` or bare
    ``object`` in schema.py, command.py or handler.py annotations (``dict[str, Any]`` included)."""
    found = []
    for m in modules(paths):
        if m.slice is None or m.path.name not in {"schema.py", "command.py", "handler.py"}:
            continue
        annotations: list[ast.expr] = []
        for node in ast.walk(m.tree):
            if isinstance(node, ast.AnnAssign):
                annotations.append(node.annotation)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                args = [
                    *node.args.posonlyargs,
                    *node.args.args,
                    *node.args.kwonlyargs,
                    node.args.vararg,
                    node.args.kwarg,
                ]
                annotations += [a.annotation for a in args if a is not None and a.annotation is not None]
                annotations += [node.returns] if node.returns is not None else []
        for annotation in annotations:
            loose = [
                ast.unparse(n)
                for n in ast.walk(annotation)
                if isinstance(n, ast.Name | ast.Attribute) and m.resolve(n) in _ANY
            ]
            if loose:
                found.append(
                    violation(m, annotation, "type-hints", f"{ast.unparse(annotation)} uses {loose[0]}; name the type")
                )
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
    "check_services_define_no_exceptions",
    "check_slice_files",
    "check_slices_independent",
    "check_slices_precisely_typed",
]
