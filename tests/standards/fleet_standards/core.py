"""Shared plumbing of the standards checks: violations, file discovery, parsed modules.

Every check is a plain function ``check_x(paths) -> list[Violation]`` that works on any tree:
the real code (``base-image/fleetkit/src``, ``services/*/src``) or a planted sample in a
temporary folder. Module names come from the ``__init__.py`` chain, so a planted tree laid out
like the real one (``<tmp>/services/demo/src/demo/features/a/b/handler.py``) is checked exactly
as the real one is. A module whose top package is ``fleetkit`` is kit code; anything else is
service code.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
KIT_PACKAGE = "fleetkit"
KIT_SRC = REPO / "base-image" / "fleetkit" / "src"
SLICE_FILES = ("router.py", "schema.py", "command.py", "handler.py", "queries.py")
_SKIP_DIRS = frozenset({".venv", ".git", "__pycache__", "node_modules", ".tools", ".mypy_cache"})


@dataclass(frozen=True, slots=True)
class Violation:
    path: Path
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        try:
            shown = self.path.relative_to(REPO)
        except ValueError:
            shown = self.path
        return f"{shown}:{self.line}: [{self.rule}] {self.message}"


def service_srcs(repo: Path = REPO) -> list[Path]:
    """``services/*/src`` of every service present now; new services are picked up by the glob."""
    return sorted(p for p in repo.glob("services/*/src") if p.is_dir())


def service_packages(repo: Path = REPO) -> list[Path]:
    """``services/<svc>/src/<pkg>`` package folders."""
    return sorted(p for src in service_srcs(repo) for p in src.iterdir() if (p / "__init__.py").is_file())


def code_roots(repo: Path = REPO) -> list[Path]:
    """The code the standards govern: the kit and every service's ``src``."""
    kit = repo / "base-image" / "fleetkit" / "src"
    return [kit, *service_srcs(repo)]


def python_files(paths: Iterable[Path]) -> list[Path]:
    """Every ``.py`` file at or below ``paths``, skipping virtualenvs, caches and VCS folders."""
    found: set[Path] = set()
    for path in paths:
        if path.is_file() and path.suffix == ".py":
            found.add(path.resolve())
        elif path.is_dir():
            for file in path.rglob("*.py"):
                if not _SKIP_DIRS.intersection(file.relative_to(path).parts):
                    found.add(file.resolve())
    return sorted(found)


def module_name(path: Path) -> str:
    """Dotted module name from the ``__init__.py`` chain (``src/`` as a fallback root)."""
    parts = [] if path.name == "__init__.py" else [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    if len(parts) <= 1 and "src" in path.parts:
        rel = path.with_suffix("").parts[len(path.parts) - path.parts[::-1].index("src") :]
        parts = [p for p in rel if p != "__init__"]
    return ".".join(parts)


@dataclass(frozen=True, slots=True)
class Module:
    """One parsed source file with its import aliases resolved."""

    path: Path
    name: str
    tree: ast.Module
    aliases: dict[str, str]

    @property
    def is_kit(self) -> bool:
        return self.name.split(".")[0] == KIT_PACKAGE

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"

    @property
    def slice(self) -> tuple[str, str, str] | None:
        """``(package, area, action)`` when this module lives in a slice folder."""
        parts = self.name.split(".")
        if "features" not in parts:
            return None
        i = parts.index("features")
        if len(parts) >= i + 4 or (len(parts) == i + 3 and self.is_package):
            return (".".join(parts[:i]), parts[i + 1], parts[i + 2])
        return None

    def resolve(self, node: ast.expr) -> str | None:
        """Fully qualified dotted name of a Name/Attribute (through import aliases), else None."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return None if base is None else f"{base}.{node.attr}"
        if isinstance(node, ast.Subscript):
            return self.resolve(node.value)
        return None

    def absolute(self, node: ast.ImportFrom) -> str:
        """The absolute module an ``ImportFrom`` names (relative imports resolved)."""
        return _absolute(self.name, self.is_package, node)

    def imported(self) -> Iterator[tuple[ast.stmt, str]]:
        """``(statement, absolute name)`` for every import, ``from m import x`` giving ``m.x`` too."""
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield node, alias.name
            elif isinstance(node, ast.ImportFrom):
                target = self.absolute(node)
                yield node, target
                for alias in node.names:
                    if alias.name != "*":
                        yield node, f"{target}.{alias.name}"


def _absolute(name: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = name.split(".") if is_package else name.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _aliases(tree: ast.Module, name: str, is_package: bool) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    aliases[top] = top
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(name, is_package, node)
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{target}.{alias.name}"
    return aliases


@functools.cache
def _parse(path: Path, mtime_ns: int) -> Module:
    tree = ast.parse(path.read_bytes(), filename=str(path))
    name = module_name(path)
    return Module(path, name, tree, _aliases(tree, name, path.name == "__init__.py"))


def parse(path: Path) -> Module:
    return _parse(path, path.stat().st_mtime_ns)


def modules(paths: Iterable[Path]) -> list[Module]:
    return [parse(p) for p in python_files(paths)]


def violation(module: Module, node: ast.AST | None, rule: str, message: str) -> Violation:
    return Violation(module.path, getattr(node, "lineno", 1), rule, message)


def functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def walk_own_body(func: ast.AsyncFunctionDef | ast.FunctionDef) -> Iterator[ast.AST]:
    """Nodes run when ``func`` runs: nested defs, lambdas and classes are not entered."""
    nested = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef
    stack: list[ast.AST] = [n for n in func.body if not isinstance(n, nested)]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, nested):
                stack.append(child)


def docstring_nodes(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings (module, class, function)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found
