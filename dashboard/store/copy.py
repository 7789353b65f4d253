"""Moving an installation from its SQLite file to PostgreSQL: every table, rows as they are
(the override log's hashes are not recomputed: they could not be without changing what they
prove), in one transaction, into a migrated and empty database; then the copy's chain is
verified under the installation's key, and the copy is rolled back unless it verifies.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import psycopg

from .base import read_key
from .chain import verify_chain
from .pg import WRITE_LOCK, PgConnection, check_schema
from .records import VerifyResult
from .store import read_chain

# Each table, its columns (the same in both schemas), in an order the foreign keys accept.
TABLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("overrides", ("seq", "id", "created", "actor", "data", "prev_hash", "hash")),
    ("chain_head", ("one", "seq", "hash", "mac")),
    ("chain_anchor", ("one", "seq", "hash", "mac")),
    ("idempotency", ("actor", "key", "seq", "fingerprint")),
    ("users", ("name", "role", "rooms", "password_hash")),
    ("tokens", ("rowid", "name", "role", "rooms", "secret_hash", "revoked")),
    ("sessions", ("id_hash", '"user"', "csrf", "created", "expires", "revoked")),
    ("audit", ("rowid", "at", "actor", "action", "detail")),
    ("login_failures", ("key", "at")),
    ("slot_ids", ("room", "slots", "updated")),
    ("screen_labels", ("room", "name", "label")),
)
# Tables with an identity column, set past the copied rows so new rows do not collide.
IDENTITIES = ("tokens", "audit")


class CopyError(Exception):
    """A copy that cannot be made (no source, a target that is not empty, no key)."""


async def copy_sqlite_to_postgresql(
    source: Path, url: str, key_path: Path
) -> tuple[VerifyResult, int]:
    """Copy the SQLite database ``source`` into the PostgreSQL database at ``url``; (the copy's
    verification, the rows copied).  Nothing stays in the target unless the copy verifies."""
    if not source.is_file():
        raise CopyError(f"no SQLite database at {source}")
    key = read_key(key_path)
    if key is None:
        raise CopyError(f"no audit key at {key_path}: the copy's log could not be verified")
    check_schema(url)
    copied = 0
    with contextlib.closing(sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)) as lite:
        lite.execute("BEGIN")  # one snapshot of the source, even if a server still writes it
        async with await psycopg.AsyncConnection.connect(url) as pg, pg.transaction() as tx:
            target = PgConnection(pg)
            await target.execute("SELECT pg_advisory_xact_lock(?)", (WRITE_LOCK,))
            for table, _ in TABLES:
                row = await target.one(f"SELECT count(*) FROM {table}")  # noqa: S608
                if row and row[0]:
                    raise CopyError(f"the target's {table} is not empty: copy into a new database")
            for table, columns in TABLES:
                names = ", ".join(columns)
                rows = lite.execute(f"SELECT {names} FROM {table}").fetchall()  # noqa: S608
                if rows:
                    marks = ", ".join(["%s"] * len(columns))
                    async with pg.cursor() as cursor:
                        await cursor.executemany(
                            f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608
                            rows,
                        )
                    copied += len(rows)
            for table in IDENTITIES:
                await target.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'rowid'),"  # noqa: S608
                    f" coalesce((SELECT max(rowid) FROM {table}), 0) + 1, false)"
                )
            rows, last, anchor = await read_chain(target)
            result = verify_chain(rows, last, key, anchor)
            if not result.ok:
                raise psycopg.Rollback(tx)  # nothing copied stays
    return result, copied
