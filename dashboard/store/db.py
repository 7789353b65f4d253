"""Opening the SQLite database and bringing its schema up to date.

The connection settings are what make "acknowledged means stored" true: WAL with
``synchronous=FULL`` fsyncs the log on every commit, so a transaction that COMMIT returned from
survives a crash or power cut.  Writers use explicit ``BEGIN IMMEDIATE`` (autocommit mode,
``isolation_level=None``) so that the write lock is taken up front, not half-way through a
transaction, where SQLite could only fail with "database is locked".
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import time
from collections.abc import Callable
from pathlib import Path

from .chain import seal

# A step of a migration: an SQL statement, or a function of the connection and the audit key
# (for what SQL alone cannot do, such as sealing the chain with the key).
Step = str | Callable[[sqlite3.Connection, bytes | None], None]


def _anchor_pre_key_chain(conn: sqlite3.Connection, key: bytes | None) -> None:
    """Schema 3 keys the chain.  The entries already there keep their plain SHA-256 hashes; the
    last of them is sealed with a MAC under the key (the anchor), and so is the head: from now
    on they cannot be rewritten without the key.  What they said before this migration is only
    as trustworthy as the database was until then (docs/security.md)."""
    head = conn.execute("SELECT seq, hash FROM chain_head").fetchone()
    if head is None:
        return  # no entry yet: the whole chain will be keyed
    if key is None:
        raise RuntimeError("the audit key is needed to migrate the override log to schema 3")
    seq, hash = int(head[0]), str(head[1])
    conn.execute(
        "INSERT INTO chain_anchor (one, seq, hash, mac) VALUES (1, ?, ?, ?)",
        (seq, hash, seal(key, "anchor", seq, hash)),
    )
    conn.execute("UPDATE chain_head SET mac = ?", (seal(key, "head", seq, hash),))


# Each migration is a list of steps, applied in one transaction together with the bump of
# schema_version.  Never edit a released migration: append a new one.  (Not executescript():
# that commits any open transaction first, which would split a migration from its version bump.)
MIGRATIONS: tuple[tuple[Step, ...], ...] = (
    (
        # The override log.  seq is the position in the chain; hash covers seq, id, created,
        # actor and data, and prev_hash links to the entry before.
        """CREATE TABLE overrides (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            created TEXT NOT NULL,
            actor TEXT NOT NULL,
            data TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )""",
        # Append-only is enforced by the database too, so no code path (ours or a careless
        # maintenance script) can rewrite history by accident.  Deliberate tampering can drop
        # these triggers; verify() catches that.
        """CREATE TRIGGER overrides_no_update BEFORE UPDATE ON overrides
           BEGIN SELECT RAISE(ABORT, 'the override log is append-only'); END""",
        """CREATE TRIGGER overrides_no_delete BEFORE DELETE ON overrides
           BEGIN SELECT RAISE(ABORT, 'the override log is append-only'); END""",
        # The last seq and hash, written in the same transaction as each append: without it,
        # deleting the newest entries would leave a chain that still verifies.
        """CREATE TABLE chain_head (
            one INTEGER PRIMARY KEY CHECK (one = 1),
            seq INTEGER NOT NULL,
            hash TEXT NOT NULL
        )""",
        """CREATE TABLE idempotency (
            actor TEXT NOT NULL,
            key TEXT NOT NULL,
            seq INTEGER NOT NULL REFERENCES overrides(seq),
            PRIMARY KEY (actor, key)
        )""",
        """CREATE TABLE users (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            rooms TEXT NOT NULL,
            password_hash TEXT NOT NULL
        )""",
        """CREATE TABLE tokens (
            rowid INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            rooms TEXT NOT NULL,
            secret_hash TEXT NOT NULL UNIQUE,
            revoked INTEGER NOT NULL DEFAULT 0
        )""",
        # A name may be reused once its token is revoked, but only one live token per name, so
        # "revoke NAME" is unambiguous.
        "CREATE UNIQUE INDEX tokens_active_name ON tokens(name) WHERE revoked = 0",
        """CREATE TABLE sessions (
            id_hash TEXT PRIMARY KEY,
            user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
            csrf TEXT NOT NULL,
            created TEXT NOT NULL,
            expires TEXT NOT NULL,
            revoked INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX sessions_user ON sessions(user)",
        """CREATE TABLE audit (
            rowid INTEGER PRIMARY KEY,
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
    ),
    (
        # Each room's slots as last published (id, times, text): a revision or a restart
        # matches its programme against them, so meetings keep their ids (domain/identity.py).
        """CREATE TABLE slot_ids (
            room TEXT PRIMARY KEY,
            slots TEXT NOT NULL,
            updated TEXT NOT NULL
        )""",
    ),
    (
        # The keyed chain (store/chain.py): the head's MAC under the audit key, so that
        # removing the newest entries and rewriting the head is caught...
        "ALTER TABLE chain_head ADD COLUMN mac TEXT NOT NULL DEFAULT ''",
        # ... the last entry from before the key, sealed by this migration...
        """CREATE TABLE chain_anchor (
            one INTEGER PRIMARY KEY CHECK (one = 1),
            seq INTEGER NOT NULL,
            hash TEXT NOT NULL,
            mac TEXT NOT NULL
        )""",
        # ... and how far start-up has verified the log (sealed too), so that it checks only
        # what was appended since.
        """CREATE TABLE chain_checked (
            one INTEGER PRIMARY KEY CHECK (one = 1),
            seq INTEGER NOT NULL,
            hash TEXT NOT NULL,
            mac TEXT NOT NULL
        )""",
        _anchor_pre_key_chain,
    ),
    (
        # What the request that used an idempotency key said (a digest): the same key sent
        # again with another request is refused, not answered with the first override.  NULL
        # for keys used before this column existed.
        "ALTER TABLE idempotency ADD COLUMN fingerprint TEXT",
    ),
    (
        # The labels staff give displays in the console (a display opened without ?screen=
        # is listed under the id its page keeps), by room and the name the display connects
        # under.
        """CREATE TABLE screen_labels (
            room TEXT NOT NULL,
            name TEXT NOT NULL,
            label TEXT NOT NULL,
            PRIMARY KEY (room, name)
        )""",
    ),
)


def private_folder(folder: Path) -> None:
    """Create ``folder`` (and its parents) if need be; the folder itself owner-only (0700)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):  # not ours to change: leave it, the files are 0600
        if stat.S_IMODE(folder.stat().st_mode) & 0o077:
            folder.chmod(0o700)


def private_file(path: Path) -> None:
    """Create ``path`` empty and owner-only (0600) if it does not exist; make it 0600 if it
    does.  SQLite creates the -wal and -shm files with the database file's permissions."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    with contextlib.suppress(OSError):
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(0o600)


def open_db(path: Path, key: bytes | None = None) -> sqlite3.Connection:
    """Open (creating if need be) the database at ``path``, with the durability settings above,
    and migrate its schema to the latest version (``key``: the audit key, which migrating an
    existing override log needs).  The data folder is made 0700, the files 0600."""
    private_folder(path.parent)
    private_file(path)
    for suffix in ("-wal", "-shm"):
        if path.with_name(path.name + suffix).exists():
            private_file(path.with_name(path.name + suffix))
    # check_same_thread=False: opened on the caller's thread, used on the store's own thread
    # (store/base.py), which alone runs its statements.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=5.0)
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        _when_unlocked(lambda: _switch_to_wal(conn, path))
        # Per-connection settings: they are not stored in the file, so set them every time.
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        _when_unlocked(lambda: migrate(conn, key))
    except BaseException:
        conn.close()
        raise
    return conn


def _switch_to_wal(conn: sqlite3.Connection, path: Path) -> None:
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise sqlite3.OperationalError(f"could not switch {path} to WAL (got {mode!r})")


def _when_unlocked(step: Callable[[], None], seconds: float = 10.0) -> None:
    """Run ``step``, again while another process holds the lock it needs.  Needed because
    SQLite does not always call the busy handler: a new file being switched to WAL, or first
    migrated, by two processes at once (the server and a `dashboard user add`, say) fails at
    once with "database is locked"."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def schema_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection, key: bytes | None = None) -> None:
    """Apply the migrations not applied yet.  Idempotent, and safe when two processes (say the
    server and the CLI) open the same file at once: the version is read again under the write
    lock before anything is applied."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    current = schema_version(conn)
    if current > len(MIGRATIONS):
        # Written by a newer release: running old code against it could corrupt it.
        raise RuntimeError(
            f"database schema version {current} is newer than this program "
            f"({len(MIGRATIONS)}): upgrade the dashboard"
        )
    if current == len(MIGRATIONS):
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = schema_version(conn)
        for version in range(current + 1, len(MIGRATIONS) + 1):
            for step in MIGRATIONS[version - 1]:
                if isinstance(step, str):
                    conn.execute(step)
                else:
                    step(conn, key)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
