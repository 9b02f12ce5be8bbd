# ruff: noqa: E501 - planted samples and messages read better unwrapped
"""Source checks: zero violations in the real code; each one caught on a planted violation.

Each case plants a bad sample (every line marked ``# bad`` must be reported, and nothing else)
and a good one (nothing reported), so a check can be neither blind nor trigger-happy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from types import MappingProxyType

import pytest
from conftest import Plant
from fleet_standards import architecture as arch
from fleet_standards import health
from fleet_standards import patterns as code
from fleet_standards.core import Violation, code_roots

Check = Callable[[Iterable[Path]], list[Violation]]
S = "demo/features/account/register/"  # a planted slice folder
T = "demo/features/account/log_in/"  # another one
U = "demo/features/account/get_me/"  # and two more
V = "demo/features/session/close_session/"

CASES: dict[str, tuple[Check, dict[str, str], dict[str, str]]] = {
    "outcomes-exhaustive": (
        health.check_outcomes_exhaustive,
        {
            S + "handler.py": """
                import msgspec
                class Registered(msgspec.Struct):
                    id: str
                class EmailTaken(msgspec.Struct):
                    pass
                class WeakPassword(msgspec.Struct):
                    reason: str
                Outcome = Registered | EmailTaken | WeakPassword
                async def register(cmd: object) -> Outcome:
                    return EmailTaken()
            """,
            # a new outcome added to the handler and forgotten here: it would fall to assert_never
            S + "router.py": """
                from typing import assert_never
                from .handler import EmailTaken, Registered, register
                async def route(cmd: object) -> int:
                    outcome = await register(cmd)
                    match outcome:  # bad
                        case Registered() as done:
                            return 201
                        case EmailTaken():
                            return 409
                        case _:
                            assert_never(outcome)
            """,
            T + "handler.py": """
                import msgspec
                class LoggedIn(msgspec.Struct):
                    token: str
                class BadCredentials(msgspec.Struct):
                    pass
                class Throttled(msgspec.Struct):
                    retry_after_s: int
                type LogInOutcome = LoggedIn | BadCredentials | Throttled
                async def log_in(cmd: object) -> LogInOutcome:
                    return BadCredentials()
            """,
            # the isinstance chain that falls through to success for any new outcome
            T + "router.py": """
                from .handler import BadCredentials, Throttled, log_in
                async def route(cmd: object) -> int:
                    outcome = await log_in(cmd)
                    if isinstance(outcome, BadCredentials):  # bad
                        return 401
                    elif isinstance(outcome, Throttled):  # bad
                        return 429
                    return 200
            """,
            U + "handler.py": """
                from typing import Optional, Union
                import msgspec
                class Account(msgspec.Struct):
                    id: str
                class AccountGone(msgspec.Struct):
                    pass
                def get_me(cmd: object) -> Union[Account, AccountGone]:
                    return AccountGone()
            """,
            # every outcome named, but a catch-all instead of assert_never, a capture pattern
            # and a case for a class the handler never returns
            U + "router.py": """
                from . import handler
                from .handler import Account, AccountGone
                class Other:
                    pass
                def route(cmd: object) -> int:
                    found = handler.get_me(cmd)
                    match found:  # bad
                        case Account():
                            return 200
                        case AccountGone():
                            return 404
                        case Other():  # bad
                            return 500
                        case _:
                            return 200
                def again(cmd: object) -> int:
                    found = handler.get_me(cmd)
                    match found:  # bad
                        case Account():
                            return 200
                        case gone:  # bad
                            return 404
                def unbound(cmd: object) -> object:
                    return [handler.get_me(cmd)]  # bad
            """,
            V + "handler.py": """
                import msgspec
                class Closed(msgspec.Struct):
                    pass
                async def close_session(cmd: object) -> Closed | None:
                    return None
            """,
            V + "router.py": """
                from .handler import close_session
                async def route(cmd: object) -> int:
                    closed = await close_session(cmd)  # bad
                    return 204 if closed else 404
            """,
        },
        {
            "demo/accounts.py": """
                import msgspec
                from typing import TypeAlias, Union
                class EmailTaken(msgspec.Struct):
                    pass
                class Registered(msgspec.Struct):
                    id: str
                class WeakPassword(msgspec.Struct):
                    reason: str
                Registration: TypeAlias = Union[Registered, EmailTaken, WeakPassword]
            """,
            S + "handler.py": """
                from demo.accounts import EmailTaken, Registered, Registration, WeakPassword
                async def register(cmd: object) -> Registration:
                    return EmailTaken()
            """,
            S + "router.py": """
                from typing import assert_never
                from demo.accounts import WeakPassword
                from .handler import EmailTaken, Registered, register
                async def route(cmd: object) -> int:
                    outcome = await register(cmd)
                    match outcome:
                        case Registered() as done:
                            return 201
                        case EmailTaken():
                            return 409
                        case WeakPassword(reason="short") | WeakPassword(reason="common"):
                            return 422
                        case _:
                            assert_never(outcome)
            """,
            T + "handler.py": """
                import msgspec
                class LoggedIn(msgspec.Struct):
                    token: str
                class Throttled(msgspec.Struct):
                    retry_after_s: int
                async def log_in(cmd: object) -> LoggedIn | Throttled | None:
                    return None
                async def audit(cmd: object) -> list[LoggedIn] | None:
                    return None
            """,
            # the outcome handed to a helper that matches it; a guarded case before the plain one
            T + "router.py": """
                import typing
                from .handler import LoggedIn, Throttled, audit, log_in
                async def route(cmd: object) -> int:
                    seen = await audit(cmd)
                    match seen:
                        case list():
                            pass
                        case None:
                            pass
                        case _:
                            typing.assert_never(seen)
                    return _answer(await log_in(cmd))
                def _answer(outcome: LoggedIn | Throttled | None) -> int:
                    match outcome:
                        case LoggedIn():
                            return 200
                        case Throttled(retry_after_s=s) if s > 60:
                            return 503
                        case Throttled():
                            return 429
                        case None:
                            return 401
                        case _:
                            typing.assert_never(outcome)
            """,
        },
    ),
    "rows-by-name": (
        health.check_rows_by_name,
        {
            "demo/avatars.py": """
                import msgspec
                from demo import models
                class Avatar(msgspec.Struct):
                    id: str
                    name: str
                async def f(pool: object, rows: list[object], row: object, record: object) -> None:
                    a = Avatar(*row)  # bad
                    b = [Avatar(*r) for r in rows]  # bad
                    c = models.Avatar(*record)  # bad
                    d = Avatar(*await pool.fetchrow(GET_AVATAR))  # bad
                    e = Avatar(row["id"], row["name"])  # bad
                    done = await pool.fetchrow(GET_AVATAR)
                    f = Avatar(*tuple(done.values()), name="x")  # bad
            """,
            "fleetkit/rows.py": "def f(Facts: type, r: object) -> object:\n    return Facts(*r)  # bad\n",
        },
        {
            "demo/avatars.py": """
                import msgspec
                class Avatar(msgspec.Struct):
                    id: str
                    name: str
                class Slice:
                    def __init__(self, *handlers: object) -> None:
                        self.handlers = handlers
                def f(row: dict[str, str], rows: list[object], first: object, rest: list[object]) -> None:
                    a = Avatar(**row)
                    b = Avatar(id=row["id"], name=row["name"])
                    print(*rows)
                    z = list(zip(*rows))
                    s = Slice(first, *rest)
                    p = Avatar(row["id"], "fixed")
            """,
        },
    ),
    "uuid-v7": (
        code.check_no_uuid1_uuid4,
        {
            "demo/ids.py": """
                import uuid
                from uuid import uuid4 as make
                import uuid_utils.compat as uc
                a = uuid.uuid4()  # bad
                b = make()  # bad
                c = uc.uuid1()  # bad
                f = uuid.uuid1  # bad
                import os
                g = uuid.UUID(bytes=os.urandom(16))  # bad
                h = uuid.UUID(int=5, version=4)  # bad
            """,
        },
        {"demo/ids.py": "import uuid\nfrom uuid_utils.compat import uuid7\na = uuid7()\nb = uuid.UUID(int=1)\n"},
    ),
    "aware-utc": (
        code.check_no_naive_datetimes,
        {
            "demo/clock.py": """
                import datetime as dt
                from datetime import datetime, date, UTC
                a = datetime.now()  # bad
                b = dt.datetime.utcnow()  # bad
                c = datetime.utcfromtimestamp(0)  # bad
                d = datetime(2024, 1, 1)  # bad
                e = datetime.fromtimestamp(0)  # bad
                f = date.today()  # bad
                g = datetime.strptime("2024", "%Y")  # bad
                h = datetime.now(tz=None)  # bad
                i = datetime.fromtimestamp(0, None)  # bad
                j = datetime.now(UTC).replace(tzinfo=None)  # bad
                k = datetime.combine(date(2024, 1, 1), dt.time())  # bad
            """,
            S + "schema.py": """
                import msgspec
                class RegisterResponse(msgspec.Struct):
                    id: str
                    created_at: int  # bad
                    expires: float | None = None  # bad
                    expires_in: int = 900
            """,
        },
        {
            "demo/clock.py": """
                import time
                from datetime import UTC, datetime
                a = datetime.now(UTC)
                b = datetime.now(tz=UTC)
                c = datetime(2024, 1, 1, tzinfo=UTC)
                d = datetime.fromtimestamp(0, UTC)
                e = time.time()
            """,
        },
    ),
    "json-not-msgspec": (
        code.check_json_via_msgspec,
        {
            "demo/codec.py": "import json  # bad\nfrom orjson import dumps  # bad\n",
            "demo/late.py": """
                import importlib
                def encode(x: object) -> str:
                    import json as j  # bad
                    codec = importlib.import_module("ujson")  # bad
                    return j.dumps(x) + codec.dumps(x)
            """,
        },
        {"demo/codec.py": "import msgspec\nfrom msgspec import json\nx = msgspec.json.encode(1)\n"},
    ),
    "pool-outside-lifespan": (
        code.check_pools_only_in_lifespan,
        {
            S + "handler.py": """
                import asyncpg, aiohttp
                from asyncpg import create_pool
                from fleetkit.db import open_pool
                async def register(cmd: object) -> None:
                    pool = await asyncpg.create_pool("dsn")  # bad
                    pool2 = await create_pool("dsn")  # bad
                    conn = await asyncpg.connect("dsn")  # bad
                    http = aiohttp.ClientSession()  # bad
                    p3 = await open_pool(cmd)  # bad
                    import httpx, functools
                    client = httpx.AsyncClient(timeout=2)  # bad
                    async with aiohttp.request("GET", "http://x") as r:  # bad
                        pass
                    make = functools.partial(asyncpg.create_pool, "dsn")  # bad
                class MyPool(asyncpg.Pool):  # bad
                    pass
            """,
        },
        {
            "fleetkit/lifespan.py": "import asyncpg\nasync def f() -> None:\n    await asyncpg.create_pool('x')\n",
            S + "handler.py": "import asyncpg\nasync def f(pool: asyncpg.Pool) -> None:\n    await pool.fetch('q')\n",
        },
    ),
    "io-timeouts": (
        code.check_io_timeouts,
        {
            "fleetkit/lifespan.py": """
                import asyncpg, aiohttp
                async def f() -> None:
                    await asyncpg.create_pool("dsn")  # bad
                    await asyncpg.connect("dsn", command_timeout=5)  # bad
                    aiohttp.ClientSession()  # bad
                    aiohttp.ClientSession(timeout=None)  # bad
                    aiohttp.ClientSession(timeout=aiohttp.ClientTimeout())  # bad
                    aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))  # bad
                    import asyncio
                    reader, writer = await asyncio.open_connection("db", 5432)  # bad
            """,
        },
        {
            "fleetkit/lifespan.py": """
                import asyncpg, aiohttp
                async def f() -> None:
                    await asyncpg.create_pool("dsn", command_timeout=5, timeout=2)
                    await asyncpg.connect("dsn", timeout=2)
                    aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3))
                    aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(connect=1, sock_read=2))
                    import asyncio
                    async with asyncio.timeout(2):
                        await asyncio.open_connection("db", 5432)
                    await asyncio.wait_for(asyncio.open_connection("db", 5432), 2)
            """,
        },
    ),
    "bounded-queue": (
        code.check_bounded_queues,
        {
            "demo/work.py": """
                import asyncio
                from asyncio import Queue
                a = asyncio.Queue()  # bad
                b = Queue(maxsize=0)  # bad
                c = asyncio.Queue[int]()  # bad
                d = asyncio.PriorityQueue(-1)  # bad
            """,
        },
        {"demo/work.py": "import asyncio\nn = 8\na = asyncio.Queue(maxsize=100)\nb = asyncio.Queue[int](n)\n"},
    ),
    "sync-io-in-async": (
        code.check_no_sync_io_in_async,
        {
            S + "handler.py": """
                import time, requests, subprocess
                from pathlib import Path
                async def register(cmd: object) -> None:
                    time.sleep(1)  # bad
                    requests.get("http://x")  # bad
                    open("f")  # bad
                    Path("f").read_text()  # bad
                    subprocess.run(["ls"])  # bad
                    HASHER.hash("pw")  # bad
                    hasher = argon2.PasswordHasher()
                    hasher.verify("h", "pw")  # bad
                    os.listdir(".")  # bad
                    bcrypt.checkpw(b"pw", b"h")  # bad
                import argon2, os, bcrypt
                HASHER = argon2.PasswordHasher()
            """,
        },
        {
            S + "handler.py": """
                import asyncio, time
                def load() -> str:
                    with open("f") as fh:
                        return fh.read()
                async def register(cmd: object) -> None:
                    await asyncio.sleep(1)
                    await asyncio.to_thread(open, "f")
                    def later() -> None:
                        time.sleep(1)
                    await asyncio.to_thread(later)
            """,
        },
    ),
    "sync-io-helper": (
        code.check_no_blocking_helpers_in_async,
        {
            S + "handler.py": """
                import asyncio, time
                from demo.keys import load_key
                from demo import passwords
                def _read(path: str) -> str:
                    with open(path) as fh:
                        return fh.read()
                def _config() -> str:
                    return _read("cfg")
                class Signer:
                    def _slow(self) -> None:
                        time.sleep(1)
                    async def sign(self) -> None:
                        self._slow()  # bad
                async def register(cmd: object) -> None:
                    _config()  # bad
                    load_key()  # bad
                    passwords.hash_password("pw")  # bad
                    await asyncio.to_thread(_config)
            """,
            "demo/keys.py": "from pathlib import Path\ndef load_key() -> bytes:\n    return Path('k').read_bytes()\n",
            "demo/passwords.py": "import argon2\n_H = argon2.PasswordHasher()\ndef hash_password(p: str) -> str:\n    return _H.hash(p)\n",
        },
        {
            S + "handler.py": """
                import asyncio
                from demo.passwords import hash_password
                def _pure(x: int) -> int:
                    return x + 1
                async def register(cmd: object) -> None:
                    _pure(1)
                    await asyncio.to_thread(hash_password, "pw")
                    loop = asyncio.get_running_loop()
                    await loop.run_in_executor(None, hash_password, "pw")
            """,
            "demo/passwords.py": "import argon2\n_H = argon2.PasswordHasher()\ndef hash_password(p: str) -> str:\n    return _H.hash(p)\n",
        },
    ),
    "migration-ids": (
        code.check_migration_ids,
        {
            "demo/migrations/0001_init.sql": """
                CREATE TABLE users (
                    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),  -- bad
                    n bigserial,  -- bad
                    m integer GENERATED ALWAYS AS IDENTITY,  -- bad
                    k uuid DEFAULT uuid_generate_v4()  -- bad
                );
            """,
        },
        {
            "demo/migrations/0001_init.sql": """
                -- ids come from the application (uuid7); no gen_random_uuid() here
                CREATE TABLE users (id uuid PRIMARY KEY, serial_number text, created_at timestamptz NOT NULL);
            """,
        },
    ),
    "context-managed": (
        code.check_resources_context_managed,
        {
            "demo/db.py": """
                async def f(pool: object) -> None:
                    conn = await pool.acquire()  # bad
                    tx = await conn.transaction()  # bad
                    tr = conn.transaction()  # bad
                    await tr.start()
                    conn2 = await pool.acquire(timeout=5)  # bad
            """,
        },
        {
            "demo/db.py": """
                async def f(pool: object) -> None:
                    async with pool.acquire() as conn, conn.transaction():
                        pass
            """,
        },
    ),
    "broad-except": (
        code.check_no_broad_except,
        {
            "demo/x.py": """
                def f() -> None:
                    try:
                        pass
                    except:  # bad
                        pass
                    try:
                        pass
                    except Exception:  # bad
                        raise
                    try:
                        pass
                    except (ValueError, BaseException):  # bad
                        pass
            """,
            "fleetkit/other.py": "try:\n    pass\nexcept Exception:  # bad\n    pass\n",
            "demo/y.py": """
                import contextlib
                from contextlib import suppress
                with contextlib.suppress(Exception):  # bad
                    pass
                with suppress(KeyError, BaseException):  # bad
                    pass
                try:
                    pass
                except* Exception:  # bad
                    pass
            """,
            "fleetkit/middleware.py": "try:\n    pass\nexcept Exception:  # bad\n    pass\n",
        },
        {
            "demo/x.py": "try:\n    pass\nexcept (ValueError, OSError):\n    raise\n",
        },
    ),
    "no-exceptions-for-control-flow": (
        code.check_no_exceptions_for_control_flow,
        {
            S + "handler.py": """
                from litestar.exceptions import NotFoundException
                async def register(cmd: object) -> None:
                    if cmd:
                        raise NotFoundException("nope")  # bad
                    raise ValueError("taken")  # bad
            """,
            S + "router.py": """
                from litestar.exceptions import HTTPException
                async def route() -> None:
                    raise HTTPException(status_code=409)  # bad
            """,
        },
        {
            S + "handler.py": """
                from fleetkit.problems import DependencyUnavailable
                async def register(cmd: object) -> object:
                    try:
                        return 1
                    except OSError:
                        raise
                    raise DependencyUnavailable("db")
            """,
            "demo/app.py": "def f() -> None:\n    raise RuntimeError('start-up fault')\n",
        },
    ),
    "exception-classes": (
        arch.check_services_define_no_exceptions,
        {
            "demo/accounts.py": """
                class AccountLocked(Exception):  # bad
                    pass
                class EmailTaken(ValueError):  # bad
                    pass
                class RetryLater(AccountLocked):  # bad
                    pass
            """,
            "fleetkit/faults.py": "class DependencyUnavailable(Exception):\n    pass\n",
            "demo/passwords.py": "from fleetkit.faults import DependencyUnavailable\nclass HashingBusy(DependencyUnavailable):  # bad\n    pass\n",
        },
        {
            "fleetkit/problems.py": "class DependencyUnavailable(Exception):\n    pass\n",
            "demo/accounts.py": "import msgspec\nclass EmailTaken(msgspec.Struct, frozen=True):\n    email_domain: str\n",
        },
    ),
    "precise-types": (
        arch.check_slices_precisely_typed,
        {
            S + "schema.py": """
                from typing import Any
                import msgspec
                class RegisterRequest(msgspec.Struct):
                    profile: dict[str, Any]  # bad
                    extra: object = None  # bad
            """,
            S + "handler.py": """
                import typing
                async def register(cmd: typing.Any) -> dict[str, object]:  # bad
                    return {}
            """,
        },
        {
            S
            + "handler.py": "from .command import Register\nasync def register(cmd: Register) -> int:\n    return 1\n",
            "demo/app.py": "from typing import Any\ndef asgi(scope: Any) -> None:\n    pass\n",
        },
    ),
    "mutable-default": (
        code.check_no_mutable_defaults,
        {
            "demo/x.py": """
                import msgspec
                from dataclasses import dataclass, field
                def f(items=[], *, seen=set()) -> None:  # bad
                    pass
                class A(msgspec.Struct):
                    tags: list[str] = []  # bad
                    meta: dict[str, str] = msgspec.field(default={})  # bad
                @dataclass
                class B:
                    xs: list[int] = field(default=[])  # bad
                class C:
                    cache = {}  # bad
                class Seen:
                    def __init__(self) -> None:
                        self.ids = set()
                def g(seen=Seen()) -> None:  # bad
                    pass
                import collections
                def h(buffer=collections.deque()) -> None:  # bad
                    pass
            """,
        },
        {
            "demo/x.py": """
                import msgspec
                from dataclasses import dataclass, field
                def f(items: list[int] | None = None, tags: tuple[str, ...] = ()) -> None:
                    pass
                class A(msgspec.Struct):
                    tags: list[str] = msgspec.field(default_factory=list)
                    __slots__ = []
                @dataclass
                class B:
                    xs: list[int] = field(default_factory=list)
            """,
        },
    ),
    "module-mutable-state": (
        code.check_no_module_mutable_state,
        {
            "demo/state.py": """
                from collections import defaultdict
                from typing import Final
                _cache = {}  # bad
                SEEN: Final = []  # bad
                COLORS = {"red", "blue"}  # bad
                counts = defaultdict(int)  # bad
                names = list()  # bad
                if True:
                    late = {}  # bad
                def f() -> None:
                    global _cache  # bad
            """,
            "demo/cache.py": """
                import asyncio, types
                class AvatarCache:
                    def __init__(self) -> None:
                        self.items = {}
                    def put(self, k: str, v: str) -> None:
                        self.items[k] = v
                class Counter:
                    def __init__(self) -> None:
                        self.n = 0
                    def bump(self) -> None:
                        self.n += 1
                _avatar_cache = AvatarCache()  # bad
                hits = Counter()  # bad
                state = types.SimpleNamespace(count=0)  # bad
                _lock = asyncio.Lock()  # bad
            """,
        },
        {
            "demo/state.py": """
                from types import MappingProxyType
                from typing import Final
                __all__ = ["f"]
                COLORS: frozenset[str] = frozenset({"red", "blue"})
                PERMS: Final = ("read", "write")
                TABLE = MappingProxyType({"a": 1})
                def f() -> None:
                    local = {}
            """,
            "demo/plugins.py": """
                import msgspec
                class Slice:
                    __slots__ = ("handlers",)
                    def __init__(self, *handlers: object) -> None:
                        self.handlers = handlers
                class Limits(msgspec.Struct, frozen=True):
                    rps: int
                plugin = Slice()
                DEFAULTS = Limits(rps=5)
            """,
        },
    ),
    "type-hints": (
        code.check_functions_annotated,
        {
            "demo/x.py": """
                def f(a, b: int) -> int:  # bad
                    return b
                async def g(a: int):  # bad
                    return a
                class K:
                    def m(self, x):  # bad
                        pass
                    @staticmethod
                    def s(self) -> None:  # bad
                        pass
                def h(*args, **kwargs) -> None:  # bad
                    pass
            """,
        },
        {
            "demo/x.py": """
                class K:
                    def __init__(self) -> None:
                        pass
                    @classmethod
                    def make(cls) -> "K":
                        return cls()
                def h(*args: int, **kwargs: str) -> None:
                    pass
            """,
        },
    ),
    "no-sensitive-logs": (
        code.check_no_sensitive_logging,
        {
            "demo/x.py": """
                import structlog
                log = structlog.get_logger()
                def f(password: str, email: str, cmd: object) -> None:
                    log.info("login", password=password)  # bad
                    log.warning("who", email=email)  # bad
                    log.info(f"user {email}")  # bad
                    log.bind(refresh_token="x")  # bad
                    log.error("auth", header=cmd.authorization)  # bad
            """,
            "demo/y.py": """
                import dataclasses
                import msgspec
                from fleetkit.logging import get_logger
                class LogIn(msgspec.Struct):
                    address: str
                    password: str
                class Attempt:
                    __slots__ = ("who", "secret")
                    def __init__(self, who: str, secret: str) -> None:
                        self.who, self.secret = who, secret
                class Service:
                    def __init__(self) -> None:
                        self._audit = get_logger("audit")
                    def run(self, cmd: LogIn, attempt: Attempt | None) -> None:
                        self._audit.info("login_failed", attempt=cmd)  # bad
                        self._audit.warning("retry", **msgspec.structs.asdict(cmd))  # bad
                        self._audit.error("denied", data=vars(attempt))  # bad
                        made = LogIn(address="a", password="b")
                        self._audit.info("made", made=made)  # bad
            """,
        },
        {
            "demo/x.py": """
                import structlog
                log = structlog.get_logger()
                def f(user_id: str, email_domain: str, token_count: int) -> None:
                    log.info("login", user_id=user_id, email_domain=email_domain, token_count=token_count)
                    d = {}; d.get("password")
            """,
            "demo/y.py": """
                import msgspec
                from fleetkit.logging import get_logger
                class Shown(msgspec.Struct):
                    user_id: str
                    avatar_id: str
                def run(cmd: Shown, log_me: int) -> None:
                    get_logger("x").info("shown", cmd=cmd, avatar=cmd.avatar_id)
            """,
        },
    ),
    "sql-outside-queries": (
        code.check_sql_only_in_queries,
        {
            S + "handler.py": """
                X = "SELECT id FROM users WHERE email = $1"  # bad
                async def f(conn: object, t: str) -> None:
                    await conn.execute("INSERT INTO users (id) VALUES ($1)")  # bad
                    await conn.execute(f"DELETE FROM {t}")  # bad
                    await conn.execute("update users set name = $1")  # bad
                    await conn.execute("select id " + "from users")  # bad
                    await conn.execute(t + "SELECT id FROM users")  # bad
            """,
            "fleetkit/db.py": 'SELECT_ONE = "SELECT 1"  # bad\n',
        },
        {
            S + "queries.py": 'INSERT_USER = "INSERT INTO users (id) VALUES ($1)"\n',
            "fleetkit/queries.py": 'SELECT_ONE = "SELECT 1"\n',
            S + "handler.py": '''
                """Select the rows from the cache, then update the set where needed."""
                from .queries import INSERT_USER
                MSG = "Select a colour from the list"
                NOTE = "delete the draft when done"
            ''',
        },
    ),
    "handler-no-http": (
        arch.check_handlers_free_of_http,
        {
            S + "handler.py": """
                from litestar import Request  # bad
                import litestar.status_codes  # bad
                from aiohttp import web  # bad
                from aiohttp.web_exceptions import HTTPNotFound  # bad
                from .schema import RegisterRequest  # bad
                from fleetkit.problems import problem  # bad
                from fleetkit.responses import Response  # bad
            """,
        },
        {
            S + "handler.py": """
                import aiohttp
                import asyncpg
                from .command import Register
                from .queries import INSERT_USER
                from fleetkit.problems import DependencyUnavailable
                from fleetkit.db import KitPool
            """,
            S + "router.py": "from litestar import post\n",
        },
    ),
    "slices-independent": (
        arch.check_slices_independent,
        {
            S + "handler.py": """
                from demo.features.account.log_in.handler import log_in  # bad
                from ..log_in import queries  # bad
                from ... import profile  # unrelated: an area package
                from ...profile.show import schema  # bad
            """,
            T + "router.py": "from demo.features.account import register  # bad\n",
        },
        {
            S
            + "handler.py": "from .queries import X\nfrom demo.features.account.register import command\nimport fleetkit.db\n",
            "demo/app.py": "from demo.features.account.register import router\nfrom demo.features.account.log_in import router as r2\n",
        },
    ),
    "stack": (
        arch.check_no_foreign_stack,
        {
            "demo/x.py": "import pydantic  # bad\nfrom pydantic_settings import BaseSettings  # bad\nimport sqlalchemy.orm  # bad\nfrom fastapi import FastAPI  # bad\n"
        },
        {"demo/x.py": "import msgspec\nimport asyncpg\nfrom litestar import Litestar\n"},
    ),
    "vertical-slices": (
        arch.check_grouped_by_feature,
        {
            "demo/repositories/users.py": "X = 1  # bad\n",
            "demo/services.py": "Y = 1  # bad\n",
            "demo/user_repository.py": "Z = 1  # bad\n",
            "demo/avatar_service.py": "W = 1  # bad\n",
        },
        {"demo/app.py": "X = 1\n", "demo/settings.py": "X = 1\n", S + "queries.py": "X = 1\n"},
    ),
    "schema-msgspec": (
        arch.check_schema_contracts,
        {
            S + "schema.py": """
                from dataclasses import dataclass  # bad
                import msgspec, typing
                @dataclass  # bad
                class RegisterResponse:
                    id: str
                class Out(typing.NamedTuple):  # bad
                    id: str
                class RegisterRequest(msgspec.Struct):
                    email: str
                    user_id: str  # bad
                    token: str  # bad
                class NewPost(msgspec.Struct):
                    text: str
                    author: str  # bad
                    ownerId: str  # bad
                    who: str = msgspec.field(name="creator_id")  # bad
            """,
            S + "router.py": """
                from litestar import post
                from litestar.params import Body
                from typing import Annotated
                from .schema import NewPost
                from .command import Register
                @post("/")
                async def publish(data: Annotated[NewPost, Body()]) -> None:
                    Register()
            """,
        },
        {
            S + "schema.py": """
                import msgspec
                class RegisterRequest(msgspec.Struct, forbid_unknown_fields=True):
                    email: str
                    password: str
                class RefreshRequest(msgspec.Struct):
                    refresh_token: str
                class RegisterResponse(msgspec.Struct):
                    user_id: str
                    access_token: str
                class PostView(msgspec.Struct):
                    author_id: str
                    avatar_id: str
            """,
        },
    ),
    "command-used": (
        arch.check_router_uses_command,
        {
            S + "router.py": "from .schema import RegisterRequest  # bad\n",
            # imports the command to satisfy a linter, then hands the schema to the handler
            T
            + "router.py": "from .command import LogIn  # bad\nasync def route(data: object) -> object:\n    return data\n",
        },
        {
            S + "router.py": "from .command import Register\nasync def route() -> object:\n    return Register()\n",
            T + "router.py": "from . import command\nasync def route() -> object:\n    return command.LogIn()\n",
        },
    ),
}


#: Checks that report more than one rule of the standards.
EXTRA_RULES = {
    "schema-msgspec": {"schema-msgspec", "no-identity-in-schema"},
    "sync-io-helper": {"sync-io-in-async"},
    "migration-ids": {"uuid-v7"},
    "exception-classes": {"no-exceptions-for-control-flow"},
    "precise-types": {"type-hints"},
}


def _bad_lines(src: Path) -> set[tuple[str, int]]:
    marked = set()
    for file in [*src.rglob("*.py"), *src.rglob("*.sql")]:
        marker = "-- bad" if file.suffix == ".sql" else "# bad"
        for number, line in enumerate(file.read_text().splitlines(), 1):
            if line.rstrip().endswith(marker):
                marked.add((file.name, number))
    return marked


@pytest.mark.parametrize("rule", sorted(CASES))
def test_real_code_has_no_violations(rule: str) -> None:
    check = CASES[rule][0]
    found = check(code_roots())
    assert not found, "\n".join(map(str, found))


@pytest.mark.parametrize("rule", sorted(CASES))
def test_check_catches_planted_violations(rule: str, plant: Plant) -> None:
    check, bad, _ = CASES[rule]
    src = plant(bad)
    found = check([src])
    assert {v.rule for v in found} == EXTRA_RULES.get(rule, {rule})
    assert {(v.path.name, v.line) for v in found} == _bad_lines(src)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_check_passes_planted_good_code(rule: str, plant: Plant) -> None:
    check, _, good = CASES[rule]
    found = check([plant(good)])
    assert not found, "\n".join(map(str, found))


def test_allow_lists_are_honoured_only_for_listed_modules(plant: Plant) -> None:
    src = plant({"fleetkit/x.py": "try:\n    pass\nexcept Exception:\n    pass\n"})
    assert code.check_no_broad_except([src], allow=MappingProxyType({"fleetkit.x": "why"})) == []
    assert len(code.check_no_broad_except([src], allow=MappingProxyType({}))) == 1
