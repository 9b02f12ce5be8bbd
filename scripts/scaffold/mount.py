"""Mount a slice in its service's ``app.py``: one import line and one entry in ``SLICES``.

A text edit guided by the parsed module, so the file keeps its comments and layout: the import
goes after the service's other slice imports (ruff's isort then puts it in order), the plugin
before the closing parenthesis of ``SLICES``. Running it again changes nothing.
"""

from __future__ import annotations

import ast
from pathlib import Path

from names import ScaffoldError, SliceNames

__all__ = ["mount_slice"]


def _bound_names(tree: ast.Module) -> set[str]:
    """Every name the module binds or uses, so a new import alias never shadows one."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.alias):
            found.add(node.asname or node.name.split(".")[0])
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(node.name)
        elif isinstance(node, ast.arg):
            found.add(node.arg)
    return found


def _existing_alias(tree: ast.Module, module: str) -> str | None:
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == module:
            for alias in node.names:
                if alias.name == "router":
                    return alias.asname or "router"
    return None


def _slices_node(tree: ast.Module, app_py: Path) -> ast.Tuple:
    value: ast.expr | None
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == "SLICES" and isinstance(value, ast.Tuple):
            return value
    msg = f"{app_py}: no `SLICES = (...)` tuple at module level; mount the slice by hand"
    raise ScaffoldError(msg)


def _is_plugin_of(node: ast.expr, alias: str) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "plugin"
        and isinstance(node.value, ast.Name)
        and node.value.id == alias
    )


def _with_plugin(lines: list[str], text: str, node: ast.Tuple, alias: str) -> list[str]:
    """``lines`` with ``<alias>.plugin,`` added as the last entry of the SLICES tuple."""
    start, end = node.lineno - 1, (node.end_lineno or node.lineno) - 1
    if end > start and lines[end].strip() in {")", "),"}:
        lines = list(lines)
        indent = "    "
        if node.elts:
            first = lines[node.elts[0].lineno - 1]
            indent = first[: len(first) - len(first.lstrip())] or indent
            last = node.elts[-1]
            row, col = (last.end_lineno or last.lineno) - 1, last.end_col_offset or 0
            if not lines[row][col:].lstrip().startswith(","):
                lines[row] = lines[row][:col] + "," + lines[row][col:]
        return [*lines[:end], f"{indent}{alias}.plugin,\n", *lines[end:]]
    entries = [ast.get_source_segment(text, e) or "" for e in node.elts] + [f"{alias}.plugin"]
    head = lines[start][: node.col_offset]
    tail = lines[end][node.end_col_offset or 0 :]
    block = [head + "(\n", *(f"    {e},\n" for e in entries), ")" + tail]
    return [*lines[:start], *block, *lines[end + 1 :]]


def _with_import(lines: list[str], tree: ast.Module, names: SliceNames, alias: str) -> list[str]:
    imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    if not imports:
        msg = "app.py has no imports to place the slice's import beside; mount the slice by hand"
        raise ScaffoldError(msg)
    features = f"{names.service}.features."
    same_kind = [n for n in imports if isinstance(n, ast.ImportFrom) and (n.module or "").startswith(features)]
    after = (same_kind or imports)[-1].end_lineno or 1
    module = f"{names.service}.features.{names.area}.{names.action}"
    line = f"from {module} import router as {alias}\n" if alias != "router" else f"from {module} import router\n"
    return [*lines[:after], line, *lines[after:]]


def mount_slice(app_py: Path, names: SliceNames) -> bool:
    """Import the slice's router and add its plugin to ``SLICES``; False when both were there."""
    text = app_py.read_text(encoding="utf-8")
    tree = ast.parse(text)
    module = f"{names.service}.features.{names.area}.{names.action}"
    alias = _existing_alias(tree, module)
    new_import = alias is None
    if alias is None:
        taken = _bound_names(tree)
        alias = next((a for a in (names.action, f"{names.area}_{names.action}") if a not in taken), None)
        if alias is None:
            msg = f"{app_py}: both {names.action!r} and {names.area}_{names.action!r} are taken; mount by hand"
            raise ScaffoldError(msg)
    node = _slices_node(tree, app_py)
    new_entry = not any(_is_plugin_of(e, alias) for e in node.elts)
    if not (new_import or new_entry):
        return False
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    if new_entry:  # below the imports: edit it first so the import's line number stays right
        lines = _with_plugin(lines, text, node, alias)
    if new_import:
        lines = _with_import(lines, tree, names, alias)
    result = "".join(lines)
    ast.parse(result)  # never write a file that no longer parses
    app_py.write_text(result, encoding="utf-8")
    return True
