"""The store's tests run on both engines: ``db`` is a SQLite file (a Path) or a migrated
PostgreSQL database on the session's throw-away cluster (its URL, a str).  ``Raw`` opens it
behind the store's back, as someone holding the database could.

The Store is async (store/base.py): ``open_store`` opens one in the running event loop and
closes it there (``async with open_store(db) as store``); ``Raw``, ``tamper`` and
``stored_bytes`` stay synchronous: they are the attacker's own connection, not the Store."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg
import pytest
from argon2 import PasswordHasher

from dashboard.store import Store
from dashboard.store.pg import migrate

CHEAP = PasswordHasher(time_cost=1, memory_cost=8192)

# The audit key's file of each PostgreSQL database a test made (its data folder's).
KEYS: dict[str, Path] = {}

Db = Path | str


def key_of(db: Db) -> Path:
    return KEYS[db] if isinstance(db, str) else db.parent / "audit.key"


@contextlib.asynccontextmanager
async def open_store(db: Db, hasher: PasswordHasher = CHEAP) -> AsyncIterator[Store]:
    """A Store on ``db``, open in the running event loop (it is bound to it), closed after."""
    async with Store(db, key_path=key_of(db), password_hasher=hasher) as store:
        yield store


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    if request.param == "sqlite":
        yield tmp_path / "data" / "dashboard.db"
        return
    url: str = request.getfixturevalue("postgres_url")
    migrate(url)
    KEYS[url] = tmp_path / "data" / "audit.key"
    yield url
    del KEYS[url]


class Raw:
    """A connection of the database's own engine, its append-only triggers off."""

    def __init__(self, db: Db) -> None:
        self.pg = isinstance(db, str)
        if isinstance(db, str):
            self._pg = psycopg.connect(db)
            self._pg.execute("ALTER TABLE overrides DISABLE TRIGGER USER")
        else:
            self._lite = sqlite3.connect(db)
            self._lite.execute("DROP TRIGGER IF EXISTS overrides_no_update")
            self._lite.execute("DROP TRIGGER IF EXISTS overrides_no_delete")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if self.pg:
            return self._pg.execute(sql.replace("?", "%s"), params)
        return self._lite.execute(sql, params)

    def commit(self) -> None:
        (self._pg if self.pg else self._lite).commit()

    def close(self) -> None:
        (self._pg if self.pg else self._lite).close()


def tamper(db: Db, *statements: str) -> None:
    """Edit the database behind the store's back, as someone with the file could."""
    raw = Raw(db)
    for statement in statements:
        raw.execute(statement)
    raw.commit()
    raw.close()


def stored_bytes(db: Db) -> bytes:
    """Everything the database keeps: for SQLite the file and any WAL not yet checkpointed;
    for PostgreSQL every row of every table, as text."""
    if isinstance(db, Path):
        return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    with psycopg.connect(db, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
        rows = [
            str(row[0])
            for (table,) in tables
            for row in conn.execute(f'SELECT t::text FROM "{table}" AS t').fetchall()
        ]
    return "\n".join(rows).encode()
