"""Code-health checks: exhaustive outcome handling, rows mapped by name, slice names.

These keep three decisions from rotting once the code is copied: a router handles every outcome
its handler can return (``match`` with one class pattern per member, ``assert_never`` last), a
database row becomes a Struct by column name (``Avatar(**row)``), never by position, and every
slice folder is ``<area>/<verb>_<noun...>`` with a mirrored test file.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from .architecture import _slice_dirs
from .core import Module, Violation, functions, modules, violation, walk_own_body

_ASSERT_NEVER = frozenset({"typing.assert_never", "typing_extensions.assert_never"})
_UNION = frozenset({"typing.Union", "typing_extensions.Union", "typing.Optional", "typing_extensions.Optional"})
_TYPE_ALIAS = frozenset({"typing.TypeAlias", "typing_extensions.TypeAlias"})
_NONE = "None"


# --- outcomes: match + assert_never --------------------------------------------------------------


class _Types:
    """Resolves a handler's return annotation to the canonical names of its union's members,
    through type aliases (``Outcome = A | B``, ``type Outcome = ...``) and re-exports."""

    def __init__(self, mods: Iterable[Module]) -> None:
        self.by_name = {m.name: m for m in mods}

    def qualified(self, m: Module, node: ast.expr) -> str | None:
        """Module-qualified name; a builtin (``list``, ``int``) stays bare."""
        if isinstance(node, ast.Name) and node.id not in m.aliases and node.id in _defined(m):
            return f"{m.name}.{node.id}"
        return m.resolve(node)

    def canonical(self, name: str, depth: int = 0) -> str:
        """Follow ``from x import Y`` re-exports to the module that defines ``Y``."""
        module, _, attr = name.rpartition(".")
        m = self.by_name.get(module)
        if m is None or depth > 10:
            return name
        if any(isinstance(n, ast.ClassDef) and n.name == attr for n in m.tree.body):
            return name
        if attr in m.aliases and m.aliases[attr] != name:
            return self.canonical(m.aliases[attr], depth + 1)
        return name

    def _alias(self, name: str) -> tuple[Module, ast.expr] | None:
        module, _, attr = name.rpartition(".")
        m = self.by_name.get(module)
        if m is None:
            return None
        for node in m.tree.body:
            if isinstance(node, ast.TypeAlias) and node.name.id == attr:
                return m, node.value
            if (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and node.target.id == attr
                and node.value is not None
                and m.resolve(node.annotation) in _TYPE_ALIAS
            ):
                return m, node.value
            if (
                isinstance(node, ast.Assign)
                and [ast.unparse(t) for t in node.targets] == [attr]
                and self._is_union(m, node.value)
            ):
                return m, node.value
        if attr in m.aliases and m.aliases[attr] != name:
            return self._alias(m.aliases[attr])
        return None

    def _is_union(self, m: Module, node: ast.expr) -> bool:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return True
        return isinstance(node, ast.Subscript) and m.resolve(node.value) in _UNION

    def members(self, m: Module, node: ast.expr | None, depth: int = 0) -> list[str]:
        if node is None or depth > 10:
            return []
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self.members(m, node.left, depth + 1) + self.members(m, node.right, depth + 1)
        if isinstance(node, ast.Constant):
            if node.value is None:
                return [_NONE]
            if isinstance(node.value, str):
                return self.members(m, ast.parse(node.value, mode="eval").body, depth + 1)
        if isinstance(node, ast.Subscript):
            origin = m.resolve(node.value)
            if origin in _UNION:
                items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
                found = [x for item in items for x in self.members(m, item, depth + 1)]
                return [*found, _NONE] if origin.endswith("Optional") else found
            return self.members(m, node.value, depth + 1)
        if isinstance(node, ast.Name | ast.Attribute):
            if isinstance(node, ast.Name) and node.id == _NONE:
                return [_NONE]
            name = self.qualified(m, node)
            if name is None:
                return []
            alias = self._alias(name)
            if alias is not None:
                return self.members(alias[0], alias[1], depth + 1)
            return [self.canonical(name)]
        return []


def _defined(m: Module) -> set[str]:
    """Names a module binds at its top level (classes, functions, assignments, type aliases)."""
    names: set[str] = set()
    for node in m.tree.body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.TypeAlias):
            names.add(node.name.id)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _short(name: str) -> str:
    return name.rpartition(".")[2]


def _bound_name(func: ast.AST, call: ast.Call) -> tuple[str, ast.stmt] | None:
    """The variable an (awaited) handler call is assigned to, with the assignment."""
    for stmt in ast.walk(func):
        if isinstance(stmt, ast.Assign | ast.AnnAssign):
            value = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if value is call and len(targets) == 1 and isinstance(targets[0], ast.Name):
                return targets[0].id, stmt
    return None


def _class_patterns(pattern: ast.pattern) -> Iterator[ast.expr | None]:
    """The classes a case pattern names (``None`` for ``case None``); an unusable pattern yields
    nothing for itself but is reported by the caller."""
    if isinstance(pattern, ast.MatchAs) and pattern.pattern is not None:
        yield from _class_patterns(pattern.pattern)
    elif isinstance(pattern, ast.MatchOr):
        for alternative in pattern.patterns:
            yield from _class_patterns(alternative)
    elif isinstance(pattern, ast.MatchClass):
        yield pattern.cls
    elif isinstance(pattern, ast.MatchSingleton) and pattern.value is None:
        yield None


def _is_class_pattern(pattern: ast.pattern) -> bool:
    if isinstance(pattern, ast.MatchAs):
        return pattern.pattern is not None and _is_class_pattern(pattern.pattern)
    if isinstance(pattern, ast.MatchOr):
        return all(_is_class_pattern(p) for p in pattern.patterns)
    return isinstance(pattern, ast.MatchClass) or (isinstance(pattern, ast.MatchSingleton) and pattern.value is None)


def _is_wildcard(case: ast.match_case) -> bool:
    pattern = case.pattern
    return isinstance(pattern, ast.MatchAs) and pattern.pattern is None and pattern.name is None and case.guard is None


def _asserts_never(m: Module, case: ast.match_case, var: str) -> bool:
    if len(case.body) != 1 or not isinstance(case.body[0], ast.Expr):
        return False
    call = case.body[0].value
    return (
        isinstance(call, ast.Call)
        and m.resolve(call.func) in _ASSERT_NEVER
        and len(call.args) == 1
        and isinstance(call.args[0], ast.Name)
        and call.args[0].id == var
    )


def _check_match(
    m: Module, types: _Types, match: ast.Match, var: str, handler: str, members: list[str]
) -> list[Violation]:
    rule = "outcomes-exhaustive"
    found = []
    covered: set[str] = set()
    cases = match.cases
    last = cases[-1] if cases else None
    for case in cases:
        if case is last and _is_wildcard(case):
            continue
        if not _is_class_pattern(case.pattern):
            found.append(
                violation(m, case.pattern, rule, f"case {ast.unparse(case.pattern)}: name one outcome class per case")
            )
            continue
        for cls in _class_patterns(case.pattern):
            name = _NONE if cls is None else types.canonical(types.qualified(m, cls) or ast.unparse(cls))
            if name not in members:
                shown = "None" if cls is None else ast.unparse(cls)
                found.append(violation(m, case.pattern, rule, f"case {shown}: not an outcome of {handler}"))
            elif case.guard is None:
                covered.add(name)
    missing = [_short(x) for x in members if x not in covered]
    if missing:
        found.append(violation(m, match, rule, f"match on {var} misses {', '.join(missing)} (outcomes of {handler})"))
    if last is None or not _is_wildcard(last) or not _asserts_never(m, last, var):
        found.append(violation(m, match, rule, f"match on {var} must end with `case _: assert_never({var})`"))
    return found


_Function = ast.FunctionDef | ast.AsyncFunctionDef


def _local_function(m: Module, node: ast.expr) -> _Function | None:
    if not isinstance(node, ast.Name):
        return None
    defs = [n for n in m.tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == node.id]
    return defs[0] if defs else None


def _handed_to(m: Module, body: list[ast.AST], value: ast.expr) -> tuple[_Function, str] | None:
    """``(helper, parameter)`` when ``value`` is passed as the sole argument to a module-level
    function of the router (``return _answer(outcome)``), which then handles the outcome."""
    for node in body:
        if not isinstance(node, ast.Call) or len(node.args) != 1 or node.keywords:
            continue
        arg = node.args[0]
        if (
            arg is value
            or (isinstance(arg, ast.Await) and arg.value is value)
            or (isinstance(arg, ast.Name) and isinstance(value, ast.Name) and arg.id == value.id)
        ):
            helper = _local_function(m, node.func)
            params = [*helper.args.posonlyargs, *helper.args.args] if helper else []
            if helper is not None and params:
                return helper, params[0].arg
    return None


def _check_handled(
    m: Module,
    types: _Types,
    func: _Function,
    call: ast.Call,
    name: str,
    members: list[str],
) -> list[Violation]:
    rule = "outcomes-exhaustive"
    body = list(walk_own_body(func))
    bound = _bound_name(func, call)
    if bound is None:
        handed = _handed_to(m, body, call)
        if handed is not None:
            return _check_variable(m, types, handed[0], handed[1], handed[0], name, members)
        return [violation(m, call, rule, f"bind the outcome of {name} to a name and match on it")]
    var, stmt = bound
    return _check_variable(m, types, func, var, stmt, name, members)


def _check_variable(
    m: Module,
    types: _Types,
    func: _Function,
    var: str,
    anchor: ast.stmt,
    name: str,
    members: list[str],
) -> list[Violation]:
    """``var`` (assigned at ``anchor``, or a parameter of ``func``) is matched exhaustively."""
    rule = "outcomes-exhaustive"
    body = list(walk_own_body(func))
    checks = [
        n
        for n in body
        if isinstance(n, ast.Call)
        and m.resolve(n.func) == "isinstance"
        and n.args
        and isinstance(n.args[0], ast.Name)
        and n.args[0].id == var
    ]
    found = [violation(m, n, rule, f"isinstance on the outcome {var}; match on it with assert_never") for n in checks]
    matches = [
        n
        for n in body
        if isinstance(n, ast.Match)
        and isinstance(n.subject, ast.Name)
        and n.subject.id == var
        and n.lineno >= anchor.lineno
    ]
    if matches:
        return found + _check_match(m, types, min(matches, key=lambda n: n.lineno), var, name, members)
    if anchor is not func:
        handed = _handed_to(m, body, ast.Name(id=var))
        if handed is not None:
            return found + _check_variable(m, types, handed[0], handed[1], handed[0], name, members)
    if not checks:
        found.append(violation(m, anchor, rule, f"the outcome {var} of {name} is never matched"))
    return found


def check_outcomes_exhaustive(paths: Iterable[Path]) -> list[Violation]:
    """A router that calls its slice's handler, when the handler returns a union of outcomes,
    binds the result to a name and ``match``es on it: one class pattern per member of the union
    (through type aliases), ``case _: assert_never(name)`` last; no ``isinstance`` on it."""
    mods = modules(paths)
    types = _Types(mods)
    found: list[Violation] = []
    for m in mods:
        if m.slice is None or m.path.name != "router.py":
            continue
        handler_module = ".".join([m.slice[0], "features", m.slice[1], m.slice[2], "handler"])
        handler_mod = types.by_name.get(handler_module)
        if handler_mod is None:
            continue
        handlers = {n.name: n for n in handler_mod.tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
        for func in functions(m.tree):
            body = list(walk_own_body(func))
            for call in (n for n in body if isinstance(n, ast.Call)):
                target = m.resolve(call.func) or ""
                module, _, name = target.rpartition(".")
                if module != handler_module or name not in handlers:
                    continue
                members = list(dict.fromkeys(types.members(handler_mod, handlers[name].returns)))
                if len(members) < 2:
                    continue
                found += _check_handled(m, types, func, call, name, members)
    return list(dict.fromkeys(found))


# --- rows by name ------------------------------------------------------------------------------


def _is_class_call(m: Module, call: ast.Call) -> str | None:
    name = m.resolve(call.func) if isinstance(call.func, ast.Name | ast.Attribute) else None
    short = (name or "").rpartition(".")[2]
    return short if short[:1].isupper() else None


def check_rows_by_name(paths: Iterable[Path]) -> list[Violation]:
    """A row becomes a Struct by column name (``Avatar(**row)`` or keywords), never by position:
    no ``Avatar(*row)`` (a class called with one starred argument, whatever the row is called)
    and no ``Attempts(row["a"], row["b"])`` (positional arguments read from one row)."""
    rule = "rows-by-name"
    found = []
    for m in modules(paths):
        for call in (n for n in ast.walk(m.tree) if isinstance(n, ast.Call)):
            cls = _is_class_call(m, call)
            if cls is None:
                continue
            if len(call.args) == 1 and isinstance(call.args[0], ast.Starred):
                row = ast.unparse(call.args[0].value)
                found.append(violation(m, call, rule, f"{cls}(*{row}) maps columns by position; use {cls}(**{row})"))
                continue
            sources = [
                a.value.id
                for a in call.args
                if isinstance(a, ast.Subscript) and isinstance(a.value, ast.Name) and isinstance(a.slice, ast.Constant)
            ]
            repeated = {s for s in sources if sources.count(s) > 1}
            if repeated:
                row = sorted(repeated)[0]
                found.append(violation(m, call, rule, f"{cls}(...) built positionally from {row}[...]; pass keywords"))
    return found


# --- slice names ---------------------------------------------------------------------------------

#: The verbs a slice's action may start with (``<area>/<verb>_<noun...>``). Adding one is a
#: reviewed one-line change here (and in docs/CONVENTIONS.md and the scaffolder's message).
SLICE_VERBS: frozenset[str] = frozenset(
    {
        "add",
        "close",
        "complete",
        "create",
        "delete",
        "export",
        "get",
        "like",
        "list",
        "open",
        "preview",
        "publish",
        "read",
        "refresh",
        "register",
        "render",
        "score",
        "set",
        "start",
        "unlike",
        "update",
    }
)
_ACTION = re.compile(r"^(?P<verb>[a-z0-9]+)(_[a-z0-9]+)+$")


def slice_name_problem(action: str) -> str | None:
    """Why ``action`` is not a ``verb_noun`` slice name, or None when it is one."""
    verbs = ", ".join(sorted(SLICE_VERBS))
    match = _ACTION.match(action)
    if match is None:
        return f"slice {action!r} is not <verb>_<noun...> in snake_case, the verb one of: {verbs}"
    if match["verb"] not in SLICE_VERBS:
        return f"slice {action!r} starts with {match['verb']!r}, not one of: {verbs}"
    return None


def check_slice_names(paths: Iterable[Path]) -> list[Violation]:
    """Every ``features/<area>/<action>/`` is named ``<verb>_<noun...>`` with a listed verb, and
    its service has ``tests/features/<area>/test_<action>.py``."""
    found = []
    for folder in _slice_dirs(paths):
        problem = slice_name_problem(folder.name)
        if problem is not None:
            found.append(Violation(folder, 1, "slice-names", problem))
        src = folder.parents[3]
        if src.name != "src":
            continue
        test = src.parent / "tests" / "features" / folder.parent.name / f"test_{folder.name}.py"
        if not test.is_file():
            area, action = folder.parent.name, folder.name
            shown = f"tests/features/{area}/test_{action}.py"
            found.append(Violation(folder, 1, "slice-names", f"no {shown} for slice {area}/{action}"))
    return found


__all__ = [
    "SLICE_VERBS",
    "check_outcomes_exhaustive",
    "check_rows_by_name",
    "check_slice_names",
    "slice_name_problem",
]
