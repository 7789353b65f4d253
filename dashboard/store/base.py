"""The connection the Store's parts share, and its two ways in: a read, or a write transaction.
Two engines: SQLite (the embedded default, below) and PostgreSQL (store/pg.py), behind the same
two ways in, so the Store's code is one.

The Store is async: the server's requests and jobs await it on the event loop.  Each read or
write transaction is a body, ``async def body(conn)``, written once for both engines and handed
to ``_read`` or ``_write``.  PostgreSQL: awaited over psycopg's async pool (store/pg.py).
SQLite: one connection, and a thread of its own that runs each body whole, one at a time (reads
too: a shared connection sees its own uncommitted writes, so a read interleaved with another
transaction could return data that is then rolled back).  Slow work (argon2) is done outside
any transaction, on a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import secrets
import sqlite3
from collections.abc import Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import psycopg
from psycopg_pool import PoolTimeout

from .db import open_db, private_folder
from .pg import CHANNEL, PgBackend, change_payload, check_schema, holds_overrides, is_url
from .pg import problem as pg_problem
from .records import StorageError
from .result import Body, Connection, Result, T

KEY_FILE = "audit.key"  # the override log's HMAC key, beside the database, never in it


def storage_problem(exc: BaseException) -> str | None:
    """What a failed write says about the storage: "full", "read-only", "failing", or None
    when it is not about storage (a constraint, a lock, a bug)."""
    if isinstance(exc, OSError):
        return {errno.ENOSPC: "full", errno.EDQUOT: "full", errno.EROFS: "read-only"}.get(
            exc.errno or 0, "failing" if exc.errno == errno.EIO else None
        )
    if not isinstance(exc, sqlite3.Error) or isinstance(exc, sqlite3.IntegrityError):
        return None
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    text = str(exc).lower()
    if code == 13 or "disk is full" in text:  # SQLITE_FULL
        return "full"
    if code == 8 or "readonly" in text or "read-only" in text:  # SQLITE_READONLY
        return "read-only"
    if code in (10, 14) or "disk i/o error" in text:  # SQLITE_IOERR, SQLITE_CANTOPEN
        return "failing"
    return None


def key_path_of(database: Path) -> Path:
    return database.parent / KEY_FILE


def read_key(path: Path) -> bytes | None:
    """The audit key in ``path`` (64 hex digits), or None if there is no such file."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 32:
        raise RuntimeError(f"{path} is not an audit key (64 hex digits)")
    return key


def create_key(path: Path, key: bytes | None = None) -> bytes:
    """Write ``key`` (default: 32 random bytes) to ``path``, owner-only (0600), unless a key is
    there already; the key in force.  Written in full under a temporary name and then linked
    into place, so that another process never reads half a key."""
    existing = read_key(path)
    if existing is not None:
        return existing
    private_folder(path.parent)
    key = key or secrets.token_bytes(32)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(key.hex() + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(partial, path)  # fails if another process's key got there first
        except FileExistsError:
            found = read_key(path)
            assert found is not None
            return found
    finally:
        partial.unlink()
    return key


def _holds_keyed_log(database: Path) -> bool:
    """Whether ``database`` holds override entries made under a key (schema 3 or later): a new
    key would make them unverifiable, so none is created for it."""
    if not database.exists() or database.stat().st_size == 0:
        return False
    try:
        with contextlib.closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as conn:
            version = conn.execute("SELECT max(version) FROM schema_version").fetchone()[0]
            if int(version or 0) < 3:
                return False  # the migration to 3 anchors the old chain under a new key
            return bool(conn.execute("SELECT count(*) FROM overrides").fetchone()[0])
    except sqlite3.Error:
        return False


# A unique or foreign-key constraint refused the statement, in either engine.
INTEGRITY_ERRORS = (sqlite3.IntegrityError, psycopg.IntegrityError)


class SqliteConnection(Connection):
    """A sqlite3 connection behind the async protocol, whose statements run at once, where they
    are awaited: a transaction's body over it never suspends (see ``run_now``)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = (), /) -> Result:
        cursor = self._conn.execute(sql, params)
        return Result(cursor.fetchall(), cursor.rowcount)


def run_now(body: Coroutine[Any, Any, T]) -> T:
    """Run ``body`` to its end, here and now.  A transaction's body over a SQLite connection
    awaits only that connection's statements, which run at once, so it never suspends: the
    whole transaction runs on the store's thread in one go (one hop from the event loop, not
    one per statement)."""
    try:
        body.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    body.close()
    raise RuntimeError("a SQLite transaction's body awaited something other than its statements")


class SqliteBackend:
    """One connection, used on one thread of its own, which runs each read or transaction whole
    (the statements block on the disk, a commit's fsync above all: never on the event loop).
    One thread, so one transaction at a time: no lock is needed, and none is bound to a loop."""

    def __init__(self, path: Path, key: bytes | None) -> None:
        self._raw = open_db(path, key)  # check_same_thread=False: used on the thread below
        self._conn = SqliteConnection(self._raw)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-store")
        self._closed = False

    async def open(self) -> None:
        """Nothing to do: the file was opened (and migrated) when the backend was made."""

    async def close(self) -> None:
        if self._closed:
            return  # closing twice is harmless, as sqlite3's own close is
        self._closed = True
        await asyncio.get_running_loop().run_in_executor(self._thread, self._raw.close)
        self._thread.shutdown()

    async def read(self, body: Body[T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._read, body)

    async def write(self, body: Body[T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._write, body)

    def _read(self, body: Body[T]) -> T:
        return run_now(body(self._conn))

    def _write(self, body: Body[T]) -> T:
        # IMMEDIATE: take the write lock now, so another process holding it makes us wait
        # (busy_timeout) instead of failing half-way through.
        self._raw.execute("BEGIN IMMEDIATE")
        try:
            result = run_now(body(self._conn))
            self._raw.execute("COMMIT")
        except BaseException:
            # COMMIT itself can fail (disk full, I/O error) and leave the transaction open;
            # nothing of it is stored either way.
            if self._raw.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self._raw.execute("ROLLBACK")
            raise
        return result


class Database:
    """``database``: the SQLite file, or a ``postgresql://`` URL (then ``key_path``, the audit
    key's file in the data folder, is required: the key is never in the database)."""

    def __init__(self, database: Path | str, *, key_path: Path | None = None) -> None:
        self.url = database if isinstance(database, str) and is_url(database) else None
        if self.url is not None:
            if key_path is None:
                raise ValueError("a PostgreSQL store needs the audit key's path (key_path)")
            check_schema(self.url)
            self.key_path = key_path
            self.path = key_path.parent / "postgresql"  # nothing there: names the data folder
            keyed = holds_overrides(self.url)
        else:
            self.path = Path(database)
            self.key_path = key_path or key_path_of(self.path)
            keyed = _holds_keyed_log(self.path)
        key = read_key(self.key_path)
        if key is None and not keyed:
            key = create_key(self.key_path)
        # None: the log was keyed and its key is gone; appending and verifying then fail, with
        # the key's path named, until it is put back.
        self._key = key
        self._backend: SqliteBackend | PgBackend = (
            PgBackend(self.url) if self.url is not None else SqliteBackend(self.path, key)
        )
        # "ok", or what the last write that failed said of the storage ("full", "read-only",
        # "failing"); a write that succeeds sets it back to "ok".  /healthz reports it.
        self.storage = "ok"

    async def _notify(self, conn: Connection, kind: str, version: int) -> None:
        """Tell every process what changed, in the transaction that changes it (PostgreSQL
        delivers a NOTIFY at COMMIT, and never for a transaction rolled back).  SQLite: one
        process, nothing to tell."""
        if self.url is not None:
            await conn.execute("SELECT pg_notify(?, ?)", (CHANNEL, change_payload(kind, version)))

    @property
    def engine(self) -> str:
        return "postgresql" if self.url is not None else "sqlite"

    async def open(self) -> Self:
        """Ready to use, in the running event loop (PostgreSQL's pool starts connecting there,
        and is bound to that loop).  ``async with Store(...) as store`` opens and closes."""
        await self._backend.open()
        return self

    async def close(self) -> None:
        await self._backend.close()

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _read(self, body: Body[T]) -> T:
        """``body`` over a connection, in one read transaction (one snapshot)."""
        try:
            return await self._backend.read(body)
        except (psycopg.Error, PoolTimeout) as exc:
            state = pg_problem(exc)
            if state is None:
                raise
            self.storage = state
            raise StorageError(state, str(exc)) from exc

    async def _write(self, body: Body[T]) -> T:
        """``body`` over a connection, in one write transaction, committed (and on disk) when it
        returns; rolled back if it raises."""
        try:
            result = await self._backend.write(body)
        except (sqlite3.Error, OSError, psycopg.Error, PoolTimeout) as exc:
            state = pg_problem(exc) if isinstance(exc, psycopg.Error | PoolTimeout) else None
            state = state or storage_problem(exc)
            if state is None:
                raise
            self.storage = state
            raise StorageError(state, str(exc)) from exc
        self.storage = "ok"
        return result

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """One statement's first row (or None), read in a transaction of its own."""
        return await self._read(lambda conn: conn.one(sql, params))

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """One statement's rows, read in a transaction of its own."""
        return await self._read(lambda conn: conn.all(sql, params))

    async def _change(self, sql: str, params: Sequence[Any] = ()) -> Result:
        """One statement, written in a transaction of its own."""
        return await self._write(lambda conn: conn.execute(sql, params))
