"""AST checks over any Python tree: data formats, performance and forbidden code patterns."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from . import allowlists
from .core import Module, Violation, docstring_nodes, functions, modules, violation, walk_own_body

# --- data formats ---------------------------------------------------------------------------

_UUID_FORBIDDEN = re.compile(r"^(uuid|uuid_utils|uuid_utils\.compat|uuid6)\.uuid[14]$")


def check_no_uuid1_uuid4(paths: Iterable[Path]) -> list[Violation]:
    """IDs are UUID v7: any reference to ``uuid1``/``uuid4`` (stdlib or uuid_utils) is flagged."""
    found = []
    for m in modules(paths):
        for node in ast.walk(m.tree):
            if isinstance(node, ast.Name | ast.Attribute) and isinstance(node.ctx, ast.Load):
                name = m.resolve(node)
                if name and _UUID_FORBIDDEN.match(name):
                    found.append(violation(m, node, "uuid-v7", f"{name} used; IDs are UUID v7"))
            elif isinstance(node, ast.Call) and m.resolve(node.func) in {"uuid.UUID", "uuid_utils.UUID"}:
                version = next((k.value for k in node.keywords if k.arg == "version"), None)
                if version is not None and _literal(version) != 7:
                    found.append(violation(m, node, "uuid-v7", f"UUID(version={ast.unparse(version)}); IDs are v7"))
                elif any(k.arg == "bytes" for k in node.keywords) and version is None:
                    found.append(violation(m, node, "uuid-v7", "UUID(bytes=...) mints an unversioned id; use uuid7()"))
    return found


_SQL_ID_DEFAULTS = re.compile(
    r"\b(gen_random_uuid|uuid_generate_v[14]\w*)\s*\(|\b(small|big)?serial\b|\bgenerated\s+(always|by\s+default)\s+as\s+identity\b",
    re.IGNORECASE,
)


def check_migration_ids(paths: Iterable[Path]) -> list[Violation]:
    """Migrations mint no v4 or integer ids (``gen_random_uuid()``, ``serial``, identity columns):
    ids come from the application as UUID v7."""
    found = []
    for root in paths:
        for sql in sorted(root.rglob("migrations/*.sql")):
            for number, line in enumerate(sql.read_text(encoding="utf-8").splitlines(), 1):
                code = line.split("--", 1)[0]
                hit = _SQL_ID_DEFAULTS.search(code)
                if hit:
                    found.append(Violation(sql, number, "uuid-v7", f"{hit.group(0).strip()} mints a non-v7 id"))
    return found


_DT = "datetime.datetime"


def _has_tz(call: ast.Call, positional_at: int) -> bool:
    """The call passes a time zone that is not a literal ``None``."""
    if len(call.args) > positional_at:
        return not _none(call.args[positional_at])
    return any(k.arg in {"tz", "tzinfo"} and not _none(k.value) for k in call.keywords)


def _drops_tz(call: ast.Call) -> bool:
    is_replace = isinstance(call.func, ast.Attribute) and call.func.attr == "replace"
    return is_replace and any(k.arg == "tzinfo" and _none(k.value) for k in call.keywords)


def _none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


#: Field names that hold a point in time; typed int/float they are Unix timestamps on the wire.
_TIME_FIELD = re.compile(r"(^|_)(at|time|timestamp|ts|date|created|updated|deleted|expires?|expiry|since|until)$")


def check_no_naive_datetimes(paths: Iterable[Path]) -> list[Violation]:
    """Timestamps are aware UTC: naive constructors and clocks are flagged."""
    found = []
    for m in modules(paths):
        for node in ast.walk(m.tree):
            if not isinstance(node, ast.Call):
                continue
            name = m.resolve(node.func)
            bad = None
            if name in {
                f"{_DT}.utcnow",
                f"{_DT}.utcfromtimestamp",
                f"{_DT}.today",
                "datetime.date.today",
            }:
                bad = f"{name}() is naive or local"
            elif name == f"{_DT}.now" and not _has_tz(node, 0):
                bad = "datetime.now() without tz"
            elif name == f"{_DT}.fromtimestamp" and not _has_tz(node, 1):
                bad = "datetime.fromtimestamp() without tz"
            elif name == _DT and not _has_tz(node, 7):
                bad = "datetime(...) without tzinfo"
            elif name == f"{_DT}.strptime":
                bad = "datetime.strptime() returns a naive datetime; parse ISO-8601 with an offset"
            elif name == f"{_DT}.combine" and not _has_tz(node, 2):
                bad = "datetime.combine() without tzinfo"
            elif _drops_tz(node):
                bad = ".replace(tzinfo=None) makes a datetime naive"
            if bad:
                found.append(violation(m, node, "aware-utc", bad))
        if m.slice is not None and m.path.name == "schema.py":
            found += _unix_timestamp_fields(m)
    return found


def _unix_timestamp_fields(m: Module) -> list[Violation]:
    """Struct fields in a slice's wire contract named for a point in time but typed int/float."""
    found = []
    for cls in (n for n in ast.walk(m.tree) if isinstance(n, ast.ClassDef)):
        for stmt in cls.body:
            if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
                continue
            kinds = {m.resolve(n) for n in ast.walk(stmt.annotation) if isinstance(n, ast.Name | ast.Attribute)}
            if _TIME_FIELD.search(stmt.target.id) and kinds & {"int", "float", "builtins.int", "builtins.float"}:
                found.append(
                    violation(
                        m,
                        stmt,
                        "aware-utc",
                        f"{cls.name}.{stmt.target.id} is a Unix timestamp; use an aware datetime (ISO-8601)",
                    )
                )
    return found


_JSON_MODULES = ("json", "orjson", "ujson", "simplejson", "rapidjson")
_DYNAMIC_IMPORTS = frozenset({"importlib.import_module", "__import__", "builtins.__import__"})


def check_json_via_msgspec(paths: Iterable[Path], allow: Mapping[str, str] = allowlists.JSON_CODECS) -> list[Violation]:
    """Serialization goes through msgspec.json: other JSON codecs are not imported."""
    found = []
    for m in modules(paths):
        if m.name in allow:
            continue
        for node in ast.walk(m.tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            elif isinstance(node, ast.Call) and m.resolve(node.func) in _DYNAMIC_IMPORTS and node.args:
                names = [str(_literal(node.args[0]) or "")]  # importlib.import_module("json")
            else:
                continue
            for name in names:
                if name.split(".")[0] in _JSON_MODULES:
                    found.append(violation(m, node, "json-not-msgspec", f"imports {name}; use msgspec.json"))
    return found


# --- pools, queues, sync IO ------------------------------------------------------------------

_POOL_MAKERS = frozenset(
    {
        "asyncpg.create_pool",
        "asyncpg.Pool",
        "asyncpg.pool.Pool",
        "asyncpg.pool.create_pool",
        "asyncpg.connect",
        "asyncpg.connection.connect",
        "aiohttp.ClientSession",
        "aiohttp.client.ClientSession",
        "aiohttp.TCPConnector",
        "aiohttp.connector.TCPConnector",
        "fleetkit.db.KitPool",
        "fleetkit.db.open_pool",
        "aiohttp.request",
        "aiohttp.client.request",
        "httpx.AsyncClient",
        "httpx.Client",
        "urllib3.PoolManager",
    }
)
_PARTIALS = frozenset({"functools.partial", "functools.partialmethod"})


def check_pools_only_in_lifespan(
    paths: Iterable[Path], allow: Mapping[str, str] = allowlists.POOL_FACTORIES
) -> list[Violation]:
    """Pools, connections and HTTP sessions are made only by the kit's lifespan modules."""
    found = []
    for m in modules(paths):
        if m.name in allow:
            continue
        for node in ast.walk(m.tree):
            if isinstance(node, ast.Call):
                name = m.resolve(node.func)
                if name in _PARTIALS and node.args:  # partial(asyncpg.create_pool, dsn) makes one later
                    name = m.resolve(node.args[0])
                if name in _POOL_MAKERS or (name and name.split(".")[-1] in {"KitPool", "open_pool"}):
                    found.append(violation(m, node, "pool-outside-lifespan", f"{name}() outside the lifespan"))
            elif isinstance(node, ast.ClassDef):
                for base in node.bases:
                    name = m.resolve(base)
                    if name in _POOL_MAKERS:
                        found.append(violation(m, node, "pool-outside-lifespan", f"subclasses {name}"))
    return found


_TIMEOUT_KWARGS = {
    "asyncpg.create_pool": {"command_timeout", "timeout"},
    "asyncpg.connect": {"timeout"},
    "asyncpg.connection.connect": {"timeout"},
    "aiohttp.ClientSession": {"timeout"},
    "aiohttp.request": {"timeout"},
    "httpx.AsyncClient": {"timeout"},
}
_CLIENT_TIMEOUT = "aiohttp.ClientTimeout"
_CLIENT_TIMEOUT_BOUNDS = frozenset({"total", "connect", "sock_connect", "sock_read"})
#: Opening a raw stream has no timeout parameter: it must run under asyncio.timeout / wait_for.
_NEEDS_DEADLINE = frozenset({"asyncio.open_connection", "asyncio.open_unix_connection"})
_DEADLINES = frozenset({"asyncio.timeout", "asyncio.timeout_at", "asyncio.wait_for"})


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _under_deadline(m: Module, node: ast.AST, parents: Mapping[int, ast.AST]) -> bool:
    """Whether ``node`` runs inside ``async with asyncio.timeout(...)`` or as ``wait_for``'s argument."""
    current: ast.AST | None = node
    while current is not None:
        parent = parents.get(id(current))
        if isinstance(parent, ast.Call) and m.resolve(parent.func) in _DEADLINES:
            return True
        if isinstance(parent, ast.With | ast.AsyncWith) and any(
            isinstance(i.context_expr, ast.Call) and m.resolve(i.context_expr.func) in _DEADLINES for i in parent.items
        ):
            return True
        if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            return False
        current = parent
    return False


def check_io_timeouts(paths: Iterable[Path]) -> list[Violation]:
    """Pool, connection and client constructors name their timeouts, and never as ``None``;
    ``aiohttp.ClientTimeout`` bounds something; raw streams open under a deadline."""
    found = []
    for m in modules(paths):
        parents = {id(child): node for node in ast.walk(m.tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(m.tree):
            if not isinstance(node, ast.Call):
                continue
            name = m.resolve(node.func) or ""
            given = {k.arg: k.value for k in node.keywords}
            wanted = _TIMEOUT_KWARGS.get(name)
            if wanted and not wanted <= given.keys() and None not in given:
                missing = ", ".join(sorted(wanted - given.keys()))
                found.append(violation(m, node, "io-timeouts", f"{name}() without {missing}"))
            elif wanted and any(_is_none(given[k]) for k in wanted & given.keys()):
                found.append(violation(m, node, "io-timeouts", f"{name}() with a timeout of None (no timeout)"))
            elif name == _CLIENT_TIMEOUT and None not in given:
                bounds = {k for k, v in given.items() if k in _CLIENT_TIMEOUT_BOUNDS and not _is_none(v)}
                if not bounds and not node.args:
                    found.append(violation(m, node, "io-timeouts", "aiohttp.ClientTimeout() that bounds nothing"))
            elif name in _NEEDS_DEADLINE and not _under_deadline(m, node, parents):
                found.append(violation(m, node, "io-timeouts", f"{name}() outside asyncio.timeout()/wait_for()"))
    return found


_QUEUES = frozenset({"asyncio.Queue", "asyncio.LifoQueue", "asyncio.PriorityQueue", "asyncio.queues.Queue"})


def _literal(node: ast.expr) -> object:
    try:
        return ast.literal_eval(node)
    except ValueError:
        return None


def check_bounded_queues(paths: Iterable[Path]) -> list[Violation]:
    """``asyncio.Queue`` always gets a ``maxsize`` that is not a literal <= 0."""
    found = []
    for m in modules(paths):
        for node in ast.walk(m.tree):
            if isinstance(node, ast.Call) and m.resolve(node.func) in _QUEUES:
                size = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "maxsize"), None)
                if size is None:
                    found.append(violation(m, node, "bounded-queue", "asyncio.Queue() without maxsize"))
                elif _literal(size) is not None and not (isinstance(_literal(size), int) and _literal(size) > 0):
                    found.append(violation(m, node, "bounded-queue", f"asyncio.Queue(maxsize={ast.unparse(size)})"))
    return found


_SYNC_CALLS = re.compile(
    r"^(time\.sleep|open|builtins\.open|io\.open|input|os\.system|os\.popen|os\.wait|"
    r"requests(\..+)?|urllib\.request\..+|http\.client\..+|subprocess\..+|socket\.create_connection|"
    r"httpx\.(get|post|put|patch|delete|head|options|request|stream|Client)|shutil\..+|sqlite3\.connect|"
    r"psycopg2?\.connect|argon2\.(PasswordHasher|_password_hasher\.PasswordHasher)\.(hash|verify|check_needs_rehash)|"
    r"argon2\.low_level\..+|bcrypt\.(hashpw|checkpw|kdf)|hashlib\.(scrypt|pbkdf2_hmac)|urllib3\..+|glob\.i?glob|"
    r"os\.(listdir|scandir|stat|remove|unlink|rename|replace|makedirs|mkdir|rmdir|walk|fsync|read|write)|"
    r"os\.path\.(exists|isfile|isdir|getsize|getmtime))$"
)
_SYNC_METHODS = frozenset(
    {"read_text", "write_text", "read_bytes", "write_bytes", "iterdir", "rglob", "unlink", "touch", "rmdir", "chmod"}
)


def instance_types(m: Module) -> dict[str, str]:
    """Names bound to an instance of a resolvable class: ``X = argon2.PasswordHasher()`` at module
    level gives ``{"X": "argon2.PasswordHasher"}``, ``self._h = PasswordHasher()`` anywhere gives
    ``{"self._h": ...}``, and a local ``h = PasswordHasher()`` inside a function gives ``{"h": ...}``.

    So a method called on such a name resolves to ``<class>.<method>``, whatever the variable is called.
    """
    found: dict[str, str] = {}
    for node in ast.walk(m.tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Call):
            cls = m.resolve(node.value.func)
            if not cls:
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name | ast.Attribute):
                    found.setdefault(ast.unparse(target), cls)
    return found


def call_name(m: Module, call: ast.Call, instances: Mapping[str, str]) -> str | None:
    """The qualified name a call resolves to, through import aliases and known instances."""
    func = call.func
    if isinstance(func, ast.Attribute):
        owner = instances.get(ast.unparse(func.value))
        if owner is not None:
            return f"{owner}.{func.attr}"
    return m.resolve(func)


def check_no_sync_io_in_async(paths: Iterable[Path]) -> list[Violation]:
    """Blocking calls inside ``async def`` bodies (nested sync defs are not entered), including
    methods of blocking objects held under any name (``hasher.hash(...)``)."""
    found = []
    for m in modules(paths):
        instances = instance_types(m)
        for func in functions(m.tree):
            if not isinstance(func, ast.AsyncFunctionDef):
                continue
            for node in walk_own_body(func):
                if not isinstance(node, ast.Call):
                    continue
                name = call_name(m, node, instances)
                method = node.func.attr if isinstance(node.func, ast.Attribute) else None
                if (name and _SYNC_CALLS.match(name)) or method in _SYNC_METHODS:
                    shown = name or method
                    found.append(violation(m, node, "sync-io-in-async", f"{shown}() blocks the loop in {func.name}"))
    return found


def check_resources_context_managed(paths: Iterable[Path]) -> list[Violation]:
    """``pool.acquire()`` and ``conn.transaction()`` are used as ``async with``, never awaited bare;
    a transaction object is never made outside an ``async with`` (``tx = conn.transaction();
    await tx.start()`` leaves it open on any exception)."""
    found = []
    for m in modules(paths):
        with_items = {
            id(item.context_expr)
            for node in ast.walk(m.tree)
            if isinstance(node, ast.With | ast.AsyncWith)
            for item in node.items
        }
        awaited = set()
        for node in ast.walk(m.tree):
            if (
                isinstance(node, ast.Await)
                and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Attribute)
                and node.value.func.attr in {"acquire", "transaction"}
                and not node.value.args
            ):
                awaited.add(id(node.value))
                found.append(
                    violation(m, node, "context-managed", f"await .{node.value.func.attr}() outside async with")
                )
        for node in ast.walk(m.tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "transaction"
                and id(node) not in with_items | awaited
            ):
                found.append(violation(m, node, "context-managed", ".transaction() made outside async with"))
    return found


# --- exceptions -------------------------------------------------------------------------------

_BROAD = frozenset({"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"})
_SUPPRESS = frozenset({"contextlib.suppress"})


def check_no_broad_except(paths: Iterable[Path], allow: Mapping[str, str] = allowlists.BROAD_EXCEPT) -> list[Violation]:
    """``except:``, ``except Exception`` and ``except BaseException`` (even re-raised)."""
    found = []
    for m in modules(paths):
        if m.name in allow:
            continue
        for node in ast.walk(m.tree):
            if not isinstance(node, ast.ExceptHandler):
                continue
            if node.type is None:
                found.append(violation(m, node, "broad-except", "bare except:"))
                continue
            types = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            for t in types:
                if m.resolve(t) in _BROAD:
                    found.append(violation(m, node, "broad-except", f"except {ast.unparse(t)}"))
        for node in ast.walk(m.tree):
            if isinstance(node, ast.Call) and m.resolve(node.func) in _SUPPRESS:
                for t in node.args:
                    if m.resolve(t) in _BROAD:
                        found.append(violation(m, node, "broad-except", f"suppress({ast.unparse(t)})"))
    return found


_HTTP_EXCEPTION = re.compile(r"(^litestar\.|^starlette\.|^fastapi\.|^aiohttp\.web|HTTPException$|HTTPError$)")
_ALLOWED_FAULTS = frozenset(
    {
        "fleetkit.problems.DependencyUnavailable",
        "fleetkit.faults.DependencyUnavailable",
        "fleetkit.faults.CapacityExhausted",
    }
)


def check_no_exceptions_for_control_flow(paths: Iterable[Path]) -> list[Violation]:
    """Slices return outcomes: handler.py raises nothing but kit faults, router.py raises nothing,
    and no slice raises an HTTP exception. A bare ``raise`` (re-raise) is allowed."""
    found = []
    for m in modules(paths):
        if m.slice is None or m.path.name not in {"handler.py", "router.py"}:
            continue
        for node in ast.walk(m.tree):
            if not isinstance(node, ast.Raise) or node.exc is None:
                continue
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            name = m.resolve(target) or ast.unparse(target)
            if name in _ALLOWED_FAULTS and m.path.name == "handler.py":
                continue
            kind = "an HTTP exception" if _HTTP_EXCEPTION.search(name) else "an exception"
            found.append(
                violation(
                    m,
                    node,
                    "no-exceptions-for-control-flow",
                    f"{m.path.name} raises {kind} ({name}); return an outcome",
                )
            )
    return found


# --- state and defaults -----------------------------------------------------------------------

_MUTABLE_CALLS = frozenset(
    {
        "dict",
        "list",
        "set",
        "bytearray",
        "collections.defaultdict",
        "collections.OrderedDict",
        "collections.Counter",
        "collections.deque",
        "collections.ChainMap",
        "weakref.WeakValueDictionary",
        "weakref.WeakKeyDictionary",
        "weakref.WeakSet",
    }
)
_MUTABLE_LITERALS = (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)


def _is_mutable(m: Module, value: ast.expr | None) -> bool:
    if isinstance(value, _MUTABLE_LITERALS):
        return True
    return isinstance(value, ast.Call) and m.resolve(value.func) in _MUTABLE_CALLS


def _field_default(m: Module, value: ast.expr | None) -> ast.expr | None:
    """``field(default=[])`` of msgspec/dataclasses: the default given, else the value itself."""
    if isinstance(value, ast.Call) and (m.resolve(value.func) or "").split(".")[-1] == "field":
        return next((k.value for k in value.keywords if k.arg == "default"), None)
    return value


def _targets(stmt: ast.stmt) -> list[str]:
    if isinstance(stmt, ast.Assign):
        return [ast.unparse(t) for t in stmt.targets]
    if isinstance(stmt, ast.AnnAssign | ast.AugAssign):
        return [ast.unparse(stmt.target)]
    return []


def _is_dunder(names: list[str]) -> bool:
    return bool(names) and all(n.startswith("__") and n.endswith("__") for n in names)


def check_no_mutable_defaults(paths: Iterable[Path]) -> list[Violation]:
    """Mutable defaults of parameters, and list/dict/set defaults of class fields (msgspec
    Structs, dataclasses, plain classes, where they would also be shared state)."""
    found = []
    mods = modules(paths)
    stateful = stateful_classes(mods)
    for m in mods:
        for node in ast.walk(m.tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                for default in [*node.args.defaults, *node.args.kw_defaults]:
                    if _is_mutable(m, default) or _stateful_instance(m, default, stateful):
                        found.append(violation(m, default, "mutable-default", "mutable parameter default"))
            elif isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    if not isinstance(stmt, ast.Assign | ast.AnnAssign) or _is_dunder(_targets(stmt)):
                        continue
                    if _is_mutable(m, _field_default(m, stmt.value)):
                        names = ", ".join(_targets(stmt))
                        found.append(
                            violation(
                                m,
                                stmt,
                                "mutable-default",
                                f"{node.name}.{names} has a mutable default",
                            )
                        )
    return found


def _module_level(stmts: list[ast.stmt]) -> list[ast.stmt]:
    out = []
    for stmt in stmts:
        out.append(stmt)
        if isinstance(stmt, ast.If | ast.Try | ast.With):
            out.extend(_module_level(stmt.body))
            out.extend(_module_level(getattr(stmt, "orelse", [])))
            out.extend(_module_level(getattr(stmt, "finalbody", [])))
    return out


#: Library classes whose instances hold state that changes (or is bound to one event loop).
_STATEFUL_LIBRARY = frozenset(
    {
        "types.SimpleNamespace",
        "asyncio.Lock",
        "asyncio.Event",
        "asyncio.Semaphore",
        "asyncio.BoundedSemaphore",
        "asyncio.Condition",
        "asyncio.Queue",
        "asyncio.LifoQueue",
        "asyncio.PriorityQueue",
        "threading.Lock",
        "threading.RLock",
        "threading.Event",
        "queue.Queue",
        "cachetools.TTLCache",
        "cachetools.LRUCache",
        "cachetools.Cache",
    }
)
_IMMUTABLE_BASES = re.compile(
    r"^(enum\.\w*(Enum|Flag)|typing\.NamedTuple|typing\.Protocol|builtins\.\w*Exception|\w*Exception|\w*Error)$"
)


def _frozen_decorated(m: Module, cls: ast.ClassDef) -> bool:
    for deco in cls.decorator_list:
        if isinstance(deco, ast.Call) and any(k.arg == "frozen" and _literal(k.value) is True for k in deco.keywords):
            return True
    return any(k.arg == "frozen" and _literal(k.value) is True for k in cls.keywords)


_CONSTRUCTORS = frozenset({"__init__", "__post_init__", "__new__", "__init_subclass__"})


def _self_target(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"


def _stores_state(m: Module, cls: ast.ClassDef) -> bool:
    """Instances change after construction: a method other than the constructor assigns to
    ``self.x``, the constructor puts a mutable container on ``self``, or the class is a record
    (annotated fields: a non-frozen dataclass or Struct, whose fields anyone may assign)."""
    for method in cls.body:
        if not isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(method):
            if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if not any(_self_target(t) for t in targets):
                    continue
                if method.name not in _CONSTRUCTORS or isinstance(node, ast.AugAssign) or _is_mutable(m, node.value):
                    return True
    return any(isinstance(stmt, ast.AnnAssign) for stmt in cls.body)


def stateful_classes(mods: Iterable[Module]) -> set[str]:
    """Qualified names of the scanned code's classes whose instances hold mutable state: they store
    fields and are not frozen (``frozen=True``), enums, named tuples, protocols or exceptions."""
    found = set()
    for m in mods:
        for node in m.tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            bases = [m.resolve(b) or "" for b in node.bases]
            if _frozen_decorated(m, node) or any(_IMMUTABLE_BASES.match(b) for b in bases):
                continue
            if _stores_state(m, node):
                found.add(f"{m.name}.{node.name}")
    return found


def qualified(m: Module, node: ast.expr, known: Iterable[str]) -> str | None:
    """The resolved name of ``node``, qualified with this module when it names one of its own
    definitions (``Cache`` defined here is ``pkg.mod.Cache``)."""
    name = m.resolve(node)
    if name is not None and name not in known and f"{m.name}.{name}" in known:
        return f"{m.name}.{name}"
    return name


def _stateful_instance(m: Module, value: ast.expr | None, stateful: set[str]) -> str | None:
    if isinstance(value, ast.Call):
        name = qualified(m, value.func, stateful)
        if name in _STATEFUL_LIBRARY or name in stateful:
            return name
    return None


def check_no_module_mutable_state(
    paths: Iterable[Path], allow: Mapping[str, str] = allowlists.MODULE_STATE
) -> list[Violation]:
    """Module-level list/dict/set containers, instances of stateful classes (the code's own
    non-frozen classes, ``SimpleNamespace``, locks, queues, caches) and ``global`` statements
    (dunders like ``__all__`` excepted). Constants are tuples, frozensets or MappingProxyType."""
    found = []
    mods = modules(paths)
    stateful = stateful_classes(mods)
    for m in mods:
        if m.name in allow:
            continue
        for stmt in _module_level(m.tree.body):
            names = _targets(stmt)
            value = stmt.value if isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign) else None
            instance = _stateful_instance(m, value, stateful)
            if names and not _is_dunder(names) and instance:
                found.append(
                    violation(
                        m,
                        stmt,
                        "module-mutable-state",
                        f"{', '.join(names)} is a module-level {instance.rsplit('.', 1)[-1]}, shared mutable state",
                    )
                )
            elif names and not _is_dunder(names) and _is_mutable(m, value):
                found.append(
                    violation(
                        m,
                        stmt,
                        "module-mutable-state",
                        f"{', '.join(names)} is module-level mutable state",
                    )
                )
        for node in ast.walk(m.tree):
            if isinstance(node, ast.Global):
                found.append(violation(m, node, "module-mutable-state", f"global {', '.join(node.names)}"))
    return found


# --- type hints -------------------------------------------------------------------------------


def check_functions_annotated(paths: Iterable[Path]) -> list[Violation]:
    """Every function has a return annotation and annotated parameters (self/cls excepted)."""
    found = []
    for m in modules(paths):
        methods = {
            id(f)
            for c in ast.walk(m.tree)
            if isinstance(c, ast.ClassDef)
            for f in c.body
            if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
            and not any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in f.decorator_list)
        }
        for func in functions(m.tree):
            args = [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]
            if id(func) in methods and args and args[0].arg in {"self", "cls", "mcs"}:
                args = args[1:]
            args += [a for a in (func.args.vararg, func.args.kwarg) if a is not None]
            missing = [a.arg for a in args if a.annotation is None]
            if func.returns is None:
                missing.append("return")
            if missing:
                found.append(
                    violation(
                        m,
                        func,
                        "type-hints",
                        f"{func.name} lacks annotations: {', '.join(missing)}",
                    )
                )
    return found


# --- logging ----------------------------------------------------------------------------------

_LOG_METHODS = frozenset(
    {
        "debug",
        "info",
        "warning",
        "warn",
        "error",
        "exception",
        "critical",
        "fatal",
        "msg",
        "log",
        "bind",
        "new",
        "adebug",
        "ainfo",
        "awarning",
        "aerror",
        "aexception",
        "acritical",
    }
)
_SENSITIVE = re.compile(
    r"^(.*_)?(password|passwd|pwd|token|secret|authorization|cookie|api_key|apikey|email|email_address|"
    r"private_key|signing_key|credentials?|dsn|database_url)$",
    re.IGNORECASE,
)


def _sensitive_names(node: ast.AST) -> list[str]:
    names = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and _SENSITIVE.match(sub.id):
            names.append(sub.id)
        elif isinstance(sub, ast.Attribute) and _SENSITIVE.match(sub.attr):
            names.append(sub.attr)
    return names


#: Method names that are a log call on any receiver; the ambiguous ones need a receiver named like a logger.
_AMBIGUOUS_LOG_METHODS = frozenset({"msg", "log", "bind", "new"})
#: Calls that turn an object into its fields.
_UNPACKERS = frozenset(
    {"vars", "builtins.vars", "dataclasses.asdict", "msgspec.structs.asdict", "msgspec.to_builtins", "attrs.asdict"}
)


def class_fields(mods: Iterable[Module]) -> dict[str, set[str]]:
    """Qualified class name -> the names of what its instances carry (annotated fields, slots,
    ``self.x`` assignments), for the scanned code's classes."""
    found: dict[str, set[str]] = {}
    for m in mods:
        for cls in (n for n in m.tree.body if isinstance(n, ast.ClassDef)):
            names: set[str] = set()
            for node in ast.walk(cls):
                if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    names.add(node.target.id)
                elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    names.update(t.attr for t in targets if _self_target(t) and isinstance(t, ast.Attribute))
                    if isinstance(node, ast.Assign) and any(ast.unparse(t) == "__slots__" for t in node.targets):
                        slots = _literal(node.value)
                        if isinstance(slots, tuple | list):
                            names.update(str(x) for x in slots)
            found[f"{m.name}.{cls.name}"] = names
    return found


def _local_types(
    m: Module, func: ast.FunctionDef | ast.AsyncFunctionDef, known: Mapping[str, set[str]]
) -> dict[str, str]:
    """Variable -> class, for parameters annotated with (or locals built from) a scanned class."""
    types: dict[str, str] = {}
    for arg in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]:
        for sub in ast.walk(arg.annotation) if arg.annotation is not None else ():
            name = qualified(m, sub, known) if isinstance(sub, ast.Name | ast.Attribute) else None
            if name in known:
                types[arg.arg] = name
                break
    for node in walk_own_body(func):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            name = qualified(m, node.value.func, known)
            if name in known:
                types.update({t.id: name for t in node.targets if isinstance(t, ast.Name)})
    return types


def _object_secrets(node: ast.expr, types: Mapping[str, str], known: Mapping[str, set[str]]) -> list[str]:
    """``cmd``, ``vars(cmd)``, ``asdict(cmd)`` or ``cmd.__dict__`` where cmd's class carries a secret field."""
    target = node
    if isinstance(node, ast.Call) and node.args:
        target = node.args[0]
    elif isinstance(node, ast.Attribute) and node.attr == "__dict__":
        target = node.value
    if isinstance(target, ast.Name) and target.id in types:
        secret = sorted(f for f in known[types[target.id]] if _SENSITIVE.match(f))
        if secret:
            return [f"{target.id} (a {types[target.id].rsplit('.', 1)[-1]} carrying {', '.join(secret)})"]
    return []


def _is_log_call(node: ast.Call) -> bool:
    if not isinstance(node.func, ast.Attribute) or node.func.attr not in _LOG_METHODS:
        return False
    return node.func.attr not in _AMBIGUOUS_LOG_METHODS or "log" in ast.unparse(node.func.value).lower()


def check_no_sensitive_logging(paths: Iterable[Path]) -> list[Violation]:
    """Log calls never carry secrets or PII: no keyword named like one, no such value passed, and
    no object whose class carries one (``attempt=cmd`` where the command has a password), on any
    logger however it is named."""
    found = []
    mods = modules(paths)
    known = class_fields(mods)
    for m in mods:
        scopes: list[ast.AST] = [m.tree, *functions(m.tree)]
        for scope in scopes:
            types = _local_types(m, scope, known) if not isinstance(scope, ast.Module) else {}
            body = walk_own_body(scope) if not isinstance(scope, ast.Module) else _module_nodes(m.tree)
            for node in body:
                if not (isinstance(node, ast.Call) and _is_log_call(node)):
                    continue
                bad = [k.arg for k in node.keywords if k.arg and _SENSITIVE.match(k.arg)]
                for value in [*node.args, *(k.value for k in node.keywords)]:
                    bad += _sensitive_names(value) + _object_secrets(value, types, known)
                if bad:
                    found.append(violation(m, node, "no-sensitive-logs", f"logs {', '.join(sorted(set(bad)))}"))
    return list(dict.fromkeys(found))


def _module_nodes(tree: ast.Module) -> list[ast.AST]:
    """Nodes outside any function (module level and class bodies)."""
    nested = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, nested):
            continue
        out.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return out


# --- SQL --------------------------------------------------------------------------------------

_SQL_UPPER = re.compile(
    r"\bSELECT\b[\s\S]*\b(FROM|WHERE)\b|\bINSERT\s+INTO\b|\bUPDATE\s+\S+\s+SET\b|\bDELETE\s+FROM\b|"
    r"^\s*(SELECT|WITH)\s|\b(CREATE|ALTER|DROP|TRUNCATE)\s+(TABLE|INDEX|SCHEMA|TYPE|EXTENSION|VIEW)\b"
)
#: Lower-case SQL counts only when it starts the string in lower case ("Select a colour from
#: the list" is prose); upper-case keywords count anywhere.
_SQL_LOWER = re.compile(
    r"^\s*(select\s[\s\S]*\b(from|where)\b|insert\s+into\b|update\s+\S+\s+set\b|delete\s+from\b|"
    r"with\s+\w+\s+as\s*\()"
)


def _string_text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):  # "SELECT id " + "FROM users"
        left, right = _string_text(node.left), _string_text(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return None


def looks_like_sql(text: str) -> bool:
    return bool(_SQL_UPPER.search(text) or _SQL_LOWER.search(text))


def check_sql_only_in_queries(
    paths: Iterable[Path], allow: Mapping[str, str] = allowlists.SQL_OUTSIDE_QUERIES
) -> list[Violation]:
    """SQL-looking string literals (docstrings aside) outside ``queries.py`` modules."""
    found = []
    for m in modules(paths):
        if m.path.name == "queries.py" or m.name in allow:
            continue
        docs = docstring_nodes(m.tree)
        inner = {id(v) for n in ast.walk(m.tree) if isinstance(n, ast.JoinedStr) for v in n.values}
        inner |= {
            id(c)
            for n in ast.walk(m.tree)
            if isinstance(n, ast.BinOp) and _string_text(n) is not None
            for c in (n.left, n.right)
        }
        for node in ast.walk(m.tree):
            if id(node) in docs or id(node) in inner:
                continue
            text = _string_text(node)
            if text and looks_like_sql(text):
                first = " ".join(text.split())[:60]
                found.append(violation(m, node, "sql-outside-queries", f"SQL outside queries.py: {first!r}"))
    return found


# --- blocking helpers called from async code (a call graph per code root) ----------------------


def _blocking_call(m: Module, node: ast.Call, instances: Mapping[str, str]) -> str | None:
    """The blocking call this is (``time.sleep``, ``Path.read_text``...), else None."""
    name = call_name(m, node, instances)
    if name and _SYNC_CALLS.match(name):
        return name
    if isinstance(node.func, ast.Attribute) and node.func.attr in _SYNC_METHODS:
        return node.func.attr
    return None


def _defs(m: Module) -> dict[str, tuple[ast.FunctionDef | ast.AsyncFunctionDef, str | None]]:
    """Qualified name -> (definition, enclosing class) for module functions and methods."""
    found: dict[str, tuple[ast.FunctionDef | ast.AsyncFunctionDef, str | None]] = {}
    for node in m.tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found[f"{m.name}.{node.name}"] = (node, None)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    found[f"{m.name}.{node.name}.{item.name}"] = (item, node.name)
    return found


def _callee(m: Module, call: ast.Call, cls: str | None) -> str | None:
    """The qualified name a call targets: a module function, an imported one, or ``self.method``."""
    func = call.func
    if isinstance(func, ast.Name):
        target = m.aliases.get(func.id)
        return target if target is not None else f"{m.name}.{func.id}"
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in {"self", "cls"}:
        return f"{m.name}.{cls}.{func.attr}" if cls else None
    return m.resolve(func)


def check_no_blocking_helpers_in_async(paths: Iterable[Path]) -> list[Violation]:
    """A sync function that blocks (directly or through other sync functions of the same code,
    across modules) is blocking wherever it is called from: ``async def`` may not call it.

    Handing it to a thread (``asyncio.to_thread(helper, ...)``, ``run_in_executor``) passes a
    reference, not a call, so that stays allowed.
    """
    mods = modules(paths)
    instances = {m.name: instance_types(m) for m in mods}
    defs: dict[str, tuple[Module, ast.FunctionDef | ast.AsyncFunctionDef, str | None]] = {}
    for m in mods:
        for qualified, (node, cls) in _defs(m).items():
            defs[qualified] = (m, node, cls)
    # why[name] = the blocking call that makes a sync function blocking (fixpoint over calls)
    why: dict[str, str] = {}
    changed = True
    while changed:
        changed = False
        for qualified, (m, node, cls) in defs.items():
            if isinstance(node, ast.AsyncFunctionDef) or qualified in why:
                continue
            for sub in walk_own_body(node):
                if not isinstance(sub, ast.Call):
                    continue
                direct = _blocking_call(m, sub, instances[m.name])
                callee = _callee(m, sub, cls)
                reason = direct or (f"{callee.rsplit('.', 1)[-1]} -> {why[callee]}" if callee in why else None)
                if reason:
                    why[qualified] = reason
                    changed = True
                    break
    found = []
    for m, node, cls in defs.values():
        if not isinstance(node, ast.AsyncFunctionDef):
            continue
        for sub in walk_own_body(node):
            if isinstance(sub, ast.Call):
                callee = _callee(m, sub, cls)
                if callee in why:
                    helper = callee.rsplit(".", 1)[-1]
                    found.append(
                        violation(
                            m,
                            sub,
                            "sync-io-in-async",
                            f"{node.name} calls {helper}(), which blocks ({why[callee]}); run it in a thread",
                        )
                    )
    return found
