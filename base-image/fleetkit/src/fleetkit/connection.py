"""The typed face of a pooled connection: what ``async with pool.acquire() as conn`` lends.

asyncpg ships no type information, so its connection would type-check nothing. ``Connection``
lists the asyncpg methods the fleet calls, with asyncpg's own signatures, so every ``conn.*``
call is checked; ``fleetkit.db.PooledConnection`` provides them (a method missing here is a
type error, not a silent ``Any``). A row is an ``asyncpg.Record``: read it by name
(``Avatar(**row)``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from types import TracebackType
from typing import Literal, Protocol

import asyncpg

__all__ = ["Connection", "Cursor", "Isolation", "Transaction", "one_row"]

type Isolation = Literal["serializable", "repeatable_read", "read_committed", "read_uncommitted"]


class Transaction(Protocol):
    async def __aenter__(self) -> object: ...

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None: ...


class Cursor(Protocol):
    def __aiter__(self) -> AsyncIterator[asyncpg.Record]: ...


class Connection(Protocol):
    async def execute(self, query: str, *args: object, timeout: float | None = None) -> str: ...

    async def executemany(
        self, command: str, args: Iterable[Sequence[object]], *, timeout: float | None = None
    ) -> None: ...

    async def fetch(self, query: str, *args: object, timeout: float | None = None) -> list[asyncpg.Record]: ...

    async def fetchrow(self, query: str, *args: object, timeout: float | None = None) -> asyncpg.Record | None: ...

    async def fetchval(self, query: str, *args: object, column: int = 0, timeout: float | None = None) -> object: ...

    def transaction(
        self, *, isolation: Isolation | None = None, readonly: bool = False, deferrable: bool = False
    ) -> Transaction: ...

    def cursor(
        self, query: str, *args: object, prefetch: int | None = None, timeout: float | None = None
    ) -> Cursor: ...

    def is_in_transaction(self) -> bool: ...


def one_row(row: asyncpg.Record | None) -> asyncpg.Record:
    """The row of a query that always returns exactly one (an aggregate, a CTE that reports what it did).

    Its absence is a bug in the query, a fault: ``LookupError``, answered 500.
    """
    if row is None:
        msg = "a query that always returns one row returned none"
        raise LookupError(msg)
    return row
