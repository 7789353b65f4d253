"""Backups of a running installation, and restoring one.

``backup`` uses SQLite's online backup API in one step: the copy is one consistent snapshot of
the database (every override committed before it began, none half-written), taken while the
server goes on appending (WAL: readers and the writer do not block each other).  The audit key
is *not* copied into the backup: keep the installation's ``audit.key`` apart from the backups
(it does not change), and record the head digest printed with each backup.

``restore`` copies a backup into a data folder that has no database yet, and installs it only if
its log verifies under the key (and holds a recorded head, if given); otherwise nothing is left
behind.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from .base import SqliteConnection, create_key, key_path_of, read_key, run_now
from .chain import head_digest, parse_digest, verify_chain
from .db import open_db, private_file, private_folder
from .records import VerifyResult
from .store import check_recorded_head, read_chain


class BackupError(Exception):
    """A backup or restore that cannot start (no database, a file in the way, no key)."""


def _copy(source: Path, target: Path) -> None:
    """``source`` into a new file ``target`` (0600) with the backup API, in one step."""
    private_file(target)
    with contextlib.closing(sqlite3.connect(source, timeout=10)) as src:
        src.execute("PRAGMA busy_timeout = 10000")
        with contextlib.closing(sqlite3.connect(target)) as dst:
            src.backup(dst)  # pages=-1: all at once, from one read snapshot
    with open(target, "rb") as copy:
        os.fsync(copy.fileno())


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup(database: Path, dest: Path) -> tuple[str | None, int]:
    """Copy ``database`` to ``dest`` (which must not exist); (its head digest, its entries)."""
    if not database.exists():
        raise BackupError(f"no database at {database}")
    if dest.exists():
        raise BackupError(f"{dest} exists: give a new file name")
    private_folder(dest.parent)
    partial = dest.with_name(dest.name + ".partial")
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    try:
        _copy(database, partial)
        with contextlib.closing(sqlite3.connect(partial)) as conn:
            head = conn.execute("SELECT seq, hash FROM chain_head").fetchone()
            count = int(conn.execute("SELECT count(*) FROM overrides").fetchone()[0])
        os.replace(partial, dest)
        _fsync_folder(dest.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        raise
    return (head_digest(int(head[0]), str(head[1])) if head else None), count


def verify_file(database: Path, key: bytes | None, head: str | None = None) -> VerifyResult:
    """Verify the log of the database file ``database`` under ``key``."""
    with contextlib.closing(sqlite3.connect(database)) as conn:
        rows, last, anchor = run_now(read_chain(SqliteConnection(conn)))
    return check_recorded_head(rows, verify_chain(rows, last, key, anchor), head)


def restore(
    src: Path, database: Path, key: Path | None = None, head: str | None = None
) -> VerifyResult:
    """Install the backup ``src`` as ``database`` if its log verifies under the key (the file
    ``key``, or the one beside ``database``); the verification's result either way."""
    if head is not None:
        try:
            parse_digest(head)
        except ValueError as exc:
            raise BackupError(f"--head: {exc}") from None
    if not src.is_file():
        raise BackupError(f"no backup at {src}")
    if database.exists() and database.stat().st_size > 0:
        raise BackupError(
            f"a database is already at {database}: stop the server and move it (with its -wal"
            " and -shm files) away first"
        )
    key_file = key or key_path_of(database)
    try:
        secret = read_key(key_file)
    except RuntimeError as exc:
        raise BackupError(str(exc)) from None
    if secret is None:
        raise BackupError(f"no audit key at {key_file}: give the installation's key with --key")
    in_place = read_key(key_path_of(database))
    if in_place is not None and in_place != secret:
        raise BackupError(
            f"{key_path_of(database)} is another key than {key_file}: the restored log would not"
            " verify there"
        )
    private_folder(database.parent)
    partial = database.with_name(database.name + ".restoring")
    for stale in (partial, *(partial.with_name(partial.name + s) for s in ("-wal", "-shm"))):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
    try:
        _copy(src, partial)
        try:
            open_db(partial, secret).close()  # a backup from an older schema is brought up
        except (sqlite3.Error, RuntimeError) as exc:
            raise BackupError(f"{src} is not a dashboard database: {exc}") from None
        result = verify_file(partial, secret, head)
        if not result.ok:
            partial.unlink()
            return result
        if key is not None and read_key(key_path_of(database)) is None:
            installed = create_key(key_path_of(database), secret)
            assert installed == secret
        os.replace(partial, database)
        _fsync_folder(database.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        raise
    return result


__all__ = ["BackupError", "backup", "restore", "verify_file"]
