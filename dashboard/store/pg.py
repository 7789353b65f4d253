"""The PostgreSQL backend: a psycopg 3 connection pool behind the same two ways in as the
SQLite one (a read, or a write transaction), awaited, and the schema's versioned migrations.

The Store's SQL is written once, in the dialect both engines accept; the only translation is
the parameter mark (``?`` for sqlite3, ``%s`` for psycopg), done by ``PgConnection``.

Writes are serialised across every process with one transaction-scoped advisory lock, taken
first thing in each write transaction: the hash chain needs "read the head, append after it"
to be atomic, and the SQLite store gets the same from BEGIN IMMEDIATE, so both backends give
the code above them the same guarantee.  Writes run at READ COMMITTED, so each statement after
the lock sees what the previous holder committed.  Reads run at REPEATABLE READ: a read of
several statements (the whole chain and then its head) sees one snapshot, never an append that
committed between them.

Unlike the SQLite store, opening does not migrate: ``dashboard db migrate`` does, once, for
every process and machine; a process refuses a schema other than the one it knows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from .result import Body, Connection, Result, T

# The advisory lock every write transaction holds (an arbitrary 64-bit key: "dashboard").
WRITE_LOCK = 0x64617368626F6172

# Seconds a caller waits for a pooled connection (the server unreachable: a StorageError then,
# not a request hanging).
CONNECT_TIMEOUT = 5.0


# The NOTIFY channel every process LISTENs on; the payload names what changed and its version
# (store/listen.py reads it).
CHANNEL = "dashboard_changes"


def change_payload(kind: str, version: int) -> str:
    return json.dumps({"kind": kind, "version": version})


def is_url(database: str) -> bool:
    return database.startswith(("postgresql://", "postgres://"))


class PgConnection(Connection):
    """A psycopg async connection that takes the SQLite parameter marks the Store's SQL uses,
    and fetches each statement's rows in full (base.Result)."""

    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = (), /) -> Result:
        cursor = await self._conn.execute(sql.replace("?", "%s"), params)
        rows = await cursor.fetchall() if cursor.description is not None else []
        return Result(rows, cursor.rowcount)


def problem(exc: BaseException) -> str | None:
    """What a failed statement says about the database, like base.storage_problem: "full",
    "read-only", "failing" (unreachable, shutting down, I/O), or None (a constraint, a bug)."""
    if isinstance(exc, psycopg.errors.DiskFull):
        return "full"
    if isinstance(exc, psycopg.errors.ReadOnlySqlTransaction):
        return "read-only"
    if isinstance(exc, PoolTimeout | psycopg.OperationalError):
        return "failing"
    return None


class PgBackend:
    """psycopg's async pool: a store call waiting on the database (slow, or down until the pool's
    timeout) holds no thread, only its own task."""

    def __init__(self, url: str, max_connections: int = 10) -> None:
        self.url = url
        self._pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]] = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            kwargs={"autocommit": True, "connect_timeout": int(CONNECT_TIMEOUT)},
            # A connection broken by a restart of the server is found out and replaced before
            # it is handed to a caller.
            check=AsyncConnectionPool.check_connection,
            timeout=CONNECT_TIMEOUT,
            open=False,
        )

    async def open(self) -> None:
        # Not waiting for the first connection: a server that is down now is reported by the
        # first statement (a StorageError), and the pool connects when it comes back.
        await self._pool.open(wait=False)

    async def close(self) -> None:
        await self._pool.close()

    async def read(self, body: Body[T]) -> T:
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            return await body(PgConnection(conn))

    async def write(self, body: Body[T]) -> T:
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            return await body(PgConnection(conn))


# --- the schema ------------------------------------------------------------------------------

# Each migration is a list of statements applied in one transaction with the bump of
# schema_version.  Never edit a released migration: append a new one.  Version 1 is the SQLite
# schema as of its version 5, in PostgreSQL's words ("user" quoted: unquoted it is a function).
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE overrides (
            seq BIGINT PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            created TEXT NOT NULL,
            actor TEXT NOT NULL,
            data TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )""",
        # Append-only, enforced by the database too (verify() catches deliberate tampering).
        """CREATE FUNCTION overrides_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION 'the override log is append-only'; END $$""",
        """CREATE TRIGGER overrides_no_change BEFORE UPDATE OR DELETE ON overrides
           FOR EACH ROW EXECUTE FUNCTION overrides_append_only()""",
        """CREATE TABLE chain_head (
            one INTEGER PRIMARY KEY CHECK (one = 1),
            seq BIGINT NOT NULL,
            hash TEXT NOT NULL,
            mac TEXT NOT NULL DEFAULT ''
        )""",
        """CREATE TABLE chain_anchor (
            one INTEGER PRIMARY KEY CHECK (one = 1),
            seq BIGINT NOT NULL,
            hash TEXT NOT NULL,
            mac TEXT NOT NULL
        )""",
        """CREATE TABLE chain_checked (
            one INTEGER PRIMARY KEY CHECK (one = 1),
            seq BIGINT NOT NULL,
            hash TEXT NOT NULL,
            mac TEXT NOT NULL
        )""",
        """CREATE TABLE idempotency (
            actor TEXT NOT NULL,
            key TEXT NOT NULL,
            seq BIGINT NOT NULL REFERENCES overrides(seq),
            fingerprint TEXT,
            PRIMARY KEY (actor, key)
        )""",
        """CREATE TABLE users (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            rooms TEXT NOT NULL,
            password_hash TEXT NOT NULL
        )""",
        """CREATE TABLE tokens (
            rowid BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            rooms TEXT NOT NULL,
            secret_hash TEXT NOT NULL UNIQUE,
            revoked INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE UNIQUE INDEX tokens_active_name ON tokens(name) WHERE revoked = 0",
        """CREATE TABLE sessions (
            id_hash TEXT PRIMARY KEY,
            "user" TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
            csrf TEXT NOT NULL,
            created TEXT NOT NULL,
            expires TEXT NOT NULL,
            revoked INTEGER NOT NULL DEFAULT 0
        )""",
        'CREATE INDEX sessions_user ON sessions("user")',
        """CREATE TABLE audit (
            rowid BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            detail TEXT NOT NULL
        )""",
        "CREATE INDEX audit_actor ON audit(actor)",
        """CREATE TABLE login_failures (
            key TEXT NOT NULL,
            at TEXT NOT NULL
        )""",
        "CREATE INDEX login_failures_key_at ON login_failures(key, at)",
        """CREATE TABLE slot_ids (
            room TEXT PRIMARY KEY,
            slots TEXT NOT NULL,
            updated TEXT NOT NULL
        )""",
        """CREATE TABLE screen_labels (
            room TEXT NOT NULL,
            name TEXT NOT NULL,
            label TEXT NOT NULL,
            PRIMARY KEY (room, name)
        )""",
    ),
    (
        # Published programmes (store/programmes.py): rooms.toml and the files it names, as a
        # JSON object of their texts, numbered.
        """CREATE TABLE programme_revisions (
            version BIGINT PRIMARY KEY,
            published TEXT NOT NULL,
            files TEXT NOT NULL
        )""",
    ),
    (
        # The displays each process holds (store/screens.py), and when each process last
        # wrote them: the rows of one that stopped writing are ignored.
        """CREATE TABLE screens (
            process TEXT NOT NULL,
            room TEXT NOT NULL,
            name TEXT NOT NULL,
            address TEXT NOT NULL,
            connected_at TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            connections INTEGER NOT NULL,
            known INTEGER NOT NULL,
            closed_cleanly INTEGER NOT NULL,
            written TEXT NOT NULL,
            PRIMARY KEY (process, room, name)
        )""",
        """CREATE TABLE screen_processes (
            process TEXT PRIMARY KEY,
            written TEXT NOT NULL
        )""",
    ),
    (
        # Screens staff dismissed (store/screens.py), numbered: each process forgets its copy
        # of one not heard from since ``seen`` (the last-heard time the console showed).
        """CREATE TABLE screen_dismissals (
            seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            room TEXT NOT NULL,
            name TEXT NOT NULL,
            seen TEXT NOT NULL,
            dismissed TEXT NOT NULL
        )""",
        "CREATE INDEX screen_dismissals_screen ON screen_dismissals(room, name)",
    ),
)


class SchemaError(RuntimeError):
    """The database's schema is not the one this program knows (not migrated, or newer)."""


def _version(conn: psycopg.Connection[Any]) -> int:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0) if row else 0


def schema_version(url: str) -> int | None:
    """The schema version of the database at ``url``; None if it has none yet."""
    with psycopg.connect(url, autocommit=True, connect_timeout=int(CONNECT_TIMEOUT)) as conn:
        exists = conn.execute("SELECT to_regclass('schema_version')").fetchone()
        if not exists or exists[0] is None:
            return None
        row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0] or 0) if row else 0


def migrate(url: str) -> tuple[int, int]:
    """Apply the migrations not applied yet, under the write lock (so two at once apply each
    once); (the version before, the version after)."""
    with psycopg.connect(url, autocommit=True, connect_timeout=int(CONNECT_TIMEOUT)) as conn:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            before = _version(conn)
            if before > len(MIGRATIONS):
                raise SchemaError(
                    f"database schema version {before} is newer than this program"
                    f" ({len(MIGRATIONS)}): upgrade the dashboard"
                )
            for version in range(before + 1, len(MIGRATIONS) + 1):
                for statement in MIGRATIONS[version - 1]:
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))
        return before, max(before, len(MIGRATIONS))


def check_schema(url: str) -> None:
    """SchemaError unless the database is at the schema version this program knows."""
    version = schema_version(url)
    if version is None or version < len(MIGRATIONS):
        raise SchemaError(
            f"the database's schema is at version {version or 0}, this program needs"
            f" {len(MIGRATIONS)}: run `dashboard db migrate --database URL` first"
        )
    if version > len(MIGRATIONS):
        raise SchemaError(
            f"database schema version {version} is newer than this program"
            f" ({len(MIGRATIONS)}): upgrade the dashboard"
        )


def holds_overrides(url: str) -> bool:
    """Whether the database at ``url`` holds override entries (made under a key: a new key
    would make them unverifiable, so none is created for it)."""
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=int(CONNECT_TIMEOUT)) as conn:
            exists = conn.execute("SELECT to_regclass('overrides')").fetchone()
            if not exists or exists[0] is None:
                return False
            row = conn.execute("SELECT count(*) FROM overrides").fetchone()
            return bool(row and row[0])
    except psycopg.Error:
        return False


def redacted(url: str) -> str:
    """``url`` without its password, to print."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://…"
    host, port, name = info.get("host", ""), info.get("port", ""), info.get("dbname", "")
    user = f"{info['user']}@" if info.get("user") else ""
    return f"postgresql://{user}{host}{':' + str(port) if port else ''}/{name}"
