"""The kit's public functions say what they return: no ``Any`` in a public return annotation.

A service copies the kit's signatures into its own code; an ``Any`` there turns off type checking
for every caller. Public means a module-level function, or a method of a module-level class,
whose name does not start with ``_`` (dunder methods included in that exemption: their return
types are the protocols', e.g. ``__await__``). ``Any`` counts wherever it appears in the
annotation (``Any``, ``typing.Any``, ``dict[str, Any]``, ``Response[Any]``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

from .allowlists import ANY_RETURNS
from .core import Violation, module_name

_DEF = (ast.FunctionDef, ast.AsyncFunctionDef)


def _public_defs(tree: ast.Module) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    for node in tree.body:
        if isinstance(node, _DEF) and not node.name.startswith("_"):
            yield node.name, node
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if isinstance(item, _DEF) and not item.name.startswith("_"):
                    yield f"{node.name}.{item.name}", item


def _mentions_any(annotation: ast.expr) -> bool:
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return False
    for node in ast.walk(annotation):
        if isinstance(node, ast.Name) and node.id == "Any":
            return True
        if isinstance(node, ast.Attribute) and node.attr == "Any":
            return True
    return False


def check_public_returns(files: Iterable[Path], allowed: Iterable[str] = ANY_RETURNS) -> list[Violation]:
    """Public functions returning ``Any``, except ``allowed`` (``module:function`` entries)."""
    exempt = frozenset(allowed)
    found = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name, node in _public_defs(tree):
            if f"{module_name(path)}:{name}" in exempt:
                continue
            if node.returns is not None and _mentions_any(node.returns):
                found.append(
                    Violation(
                        path,
                        node.lineno,
                        "kit-any-return",
                        f"{name} returns {ast.unparse(node.returns)}: name the type (a Protocol if it is structural)",
                    )
                )
    return found
