"""The Store: the append-only, hash-chained override log, on top of the account records
(users, tokens, sessions, audit, throttling), in one SQLite file.

Synchronous on purpose: the web layer calls it through a thread pool.  "Acknowledged" means
committed: append_override returns only after COMMIT, which with WAL and synchronous=FULL has
reached the disk, so whatever a caller was told is stored survives a crash.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher

from .accounts import Accounts
from .chain import GENESIS, entry_hash, verify_chain
from .records import (
    AuditError,
    KeyReused,
    Session,
    StoredOverride,
    Token,
    User,
    VerifyResult,
    canonical_json,
    instant_text,
    parse_data,
    parse_instant,
)

__all__ = [
    "AuditError",
    "KeyReused",
    "Session",
    "Store",
    "StoredOverride",
    "Token",
    "User",
    "VerifyResult",
]


def _override(row: tuple[Any, ...]) -> StoredOverride:
    seq, id, created, actor, data_text, prev_hash, hash = row
    try:
        data = parse_data(data_text)
    except ValueError as exc:
        raise AuditError(f"override {seq}: {exc}") from None
    return StoredOverride(seq, id, parse_instant(created), actor, data, prev_hash, hash)


class Store(Accounts):
    def __init__(self, path: Path, *, password_hasher: PasswordHasher | None = None) -> None:
        super().__init__(path, password_hasher=password_hasher)

    def append_override(
        self,
        data: dict[str, Any],
        actor: str,
        created: datetime,
        idempotency_key: str | None = None,
        *,
        key_scope: str | None = None,
        fingerprint: str | None = None,
    ) -> tuple[StoredOverride, bool]:
        """Append an override and commit before returning: (it, True).  With an
        ``idempotency_key`` used before in ``key_scope`` (default: ``actor``): (the override
        stored then, False), and nothing is stored; KeyReused if that earlier request had
        another ``fingerprint`` (both given)."""
        created_text = instant_text(created)
        given = data.get("id")
        if given is not None and (not isinstance(given, str) or not given):
            raise ValueError(f"override id {given!r} is not a non-empty string")
        id = given or uuid.uuid4().hex
        if idempotency_key == "":
            raise ValueError("idempotency key is empty")
        # Round-trip through JSON so the caller gets exactly what a later read returns (and
        # the hash is over that), not their own mutable dict.
        data_text = canonical_json(data)
        stored_data = parse_data(data_text)
        scope = actor if key_scope is None else key_scope
        with self._write() as conn:
            if idempotency_key is not None:
                found = self._idempotent(conn, scope, idempotency_key)
                if found is not None:
                    earlier, earlier_fingerprint = found
                    if None not in (fingerprint, earlier_fingerprint) and (
                        fingerprint != earlier_fingerprint
                    ):
                        raise KeyReused(earlier)
                    return earlier, False
            # The head, not max(seq): if entries were deleted behind our back, new ones must
            # not reuse their numbers and hide the gap.
            head = conn.execute("SELECT seq, hash FROM chain_head").fetchone()
            seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS)
            hash = entry_hash(prev_hash, seq, id, created_text, actor, stored_data)
            try:
                conn.execute(
                    "INSERT INTO overrides (seq, id, created, actor, data, prev_hash, hash) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (seq, id, created_text, actor, data_text, prev_hash, hash),
                )
            except sqlite3.IntegrityError:
                raise ValueError(f"override id {id!r} is already in the log") from None
            conn.execute(
                "INSERT INTO chain_head (one, seq, hash) VALUES (1, ?, ?) "
                "ON CONFLICT (one) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
                (seq, hash),
            )
            if idempotency_key is not None:
                # Same transaction as the override: after a crash a retry finds both or
                # neither, so it is stored exactly once.
                conn.execute(
                    "INSERT INTO idempotency (actor, key, seq, fingerprint) VALUES (?, ?, ?, ?)",
                    (scope, idempotency_key, seq, fingerprint),
                )
        created_back = parse_instant(created_text)
        return StoredOverride(seq, id, created_back, actor, stored_data, prev_hash, hash), True

    def find_idempotent(self, scope: str, idempotency_key: str) -> StoredOverride | None:
        """The override stored with ``idempotency_key`` in ``scope`` (the actor, unless
        append_override was given another), if any."""
        found = self.find_keyed(scope, idempotency_key)
        return found[0] if found else None

    def find_keyed(
        self, scope: str, idempotency_key: str
    ) -> tuple[StoredOverride, str | None] | None:
        """The override stored with ``idempotency_key`` in ``scope`` and the fingerprint of the
        request that made it (None if not recorded), if any: lets a caller answer a retry
        before validating it; append_override checks again under the write lock."""
        with self._read() as conn:
            return self._idempotent(conn, scope, idempotency_key)

    @staticmethod
    def _idempotent(
        conn: sqlite3.Connection, scope: str, key: str
    ) -> tuple[StoredOverride, str | None] | None:
        row = conn.execute(
            "SELECT o.seq, o.id, o.created, o.actor, o.data, o.prev_hash, o.hash, i.fingerprint "
            "FROM idempotency AS i JOIN overrides AS o ON o.seq = i.seq "
            "WHERE i.actor = ? AND i.key = ?",
            (scope, key),
        ).fetchone()
        return (_override(row[:7]), row[7]) if row else None

    def overrides(self) -> list[StoredOverride]:
        """All overrides, in seq order.  Raises AuditError if an entry is unreadable."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT seq, id, created, actor, data, prev_hash, hash FROM overrides ORDER BY seq"
            ).fetchall()
        return [_override(row) for row in rows]

    def override(self, id: str) -> StoredOverride | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT seq, id, created, actor, data, prev_hash, hash FROM overrides WHERE id = ?",
                (id,),
            ).fetchone()
        return _override(row) if row else None

    def verify(self) -> VerifyResult:
        """Recompute the whole chain; the result names the first bad entry and what is wrong."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT seq, id, created, actor, data, prev_hash, hash FROM overrides ORDER BY seq"
            ).fetchall()
            head = conn.execute("SELECT seq, hash FROM chain_head").fetchone()
        return verify_chain(rows, (head[0], head[1]) if head else None)

    def slot_snapshots(self) -> dict[str, list[dict[str, Any]]]:
        """Each room's slots as last published (see ``save_slot_snapshots``)."""
        with self._read() as conn:
            rows = conn.execute("SELECT room, slots FROM slot_ids").fetchall()
        snapshots: dict[str, list[dict[str, Any]]] = {}
        for room, text in rows:
            try:
                snapshots[room] = list(parse_data(text)["slots"])
            except (ValueError, KeyError, TypeError):
                continue  # unreadable: the room's slots get new ids, nothing worse
        return snapshots

    def save_slot_snapshots(
        self, snapshots: dict[str, list[dict[str, Any]]], now: datetime
    ) -> None:
        """Replace the rooms' snapshots, in one transaction."""
        with self._write() as conn:
            for room, slots in snapshots.items():
                conn.execute(
                    "INSERT INTO slot_ids (room, slots, updated) VALUES (?, ?, ?) "
                    "ON CONFLICT (room) DO UPDATE SET slots = excluded.slots, "
                    "updated = excluded.updated",
                    (room, canonical_json({"slots": slots}), instant_text(now)),
                )
