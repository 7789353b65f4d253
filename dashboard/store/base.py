"""The connection the Store's parts share, and its two ways in: a read, or a write transaction.

One connection, guarded by one lock for every statement (reads too): a shared connection sees
its own uncommitted writes, so a read interleaved with another thread's open transaction could
return data that is then rolled back.  Slow work (argon2) is done outside the lock.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Self

from .db import open_db


class Database:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn = open_db(path)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._conn

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction, committed (and, with synchronous=FULL, on disk) when the block
        ends normally; rolled back if it raises."""
        with self._lock:
            # IMMEDIATE: take the write lock now, so another process holding it makes us wait
            # (busy_timeout) instead of failing half-way through.
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                # COMMIT itself can fail (disk full, I/O error) and leave the transaction open.
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
