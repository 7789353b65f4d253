"""What a statement gives back, and the connection the Store's SQL is written against: the same
from either engine (store/base.py's SQLite, store/pg.py's PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


class Result:
    """A statement's rows, fetched in full, and the rows it changed: what either engine's
    statement gives back (fetched at once, so that reading them needs no more waiting)."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[Any]:
        return self._rows


class Connection:
    """A connection of either engine, as the Store's SQL uses it (``?`` parameter marks): each
    engine gives ``execute``; ``one`` and ``all`` read its rows."""

    async def execute(self, sql: str, params: Sequence[Any] = (), /) -> Result:
        raise NotImplementedError

    async def one(self, sql: str, params: Sequence[Any] = (), /) -> Any:
        """The statement's first row, or None."""
        return (await self.execute(sql, params)).fetchone()

    async def all(self, sql: str, params: Sequence[Any] = (), /) -> list[Any]:
        """The statement's rows."""
        return (await self.execute(sql, params)).fetchall()


# A read or write transaction's work: what it does over the connection, and its result.
Body = Callable[[Connection], Coroutine[Any, Any, T]]
