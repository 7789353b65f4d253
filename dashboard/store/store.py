"""The Store: the append-only, hash-chained override log, on top of the account records
(users, tokens, sessions, audit, throttling), in one SQLite file or a PostgreSQL database.

Async: the server awaits it on its event loop (store/base.py says how each engine does it).
"Acknowledged" means committed: append_override returns only after COMMIT, which with WAL and
synchronous=FULL (or PostgreSQL's commit) has reached the disk, so whatever a caller was told
is stored survives a crash.
"""

from __future__ import annotations

import contextlib
import hmac
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher

from .accounts import Accounts
from .base import INTEGRITY_ERRORS
from .chain import (
    GENESIS,
    Anchor,
    Row,
    entry_hash,
    head_digest,
    parse_digest,
    seal,
    verify_chain,
)
from .programmes import Programmes
from .records import (
    AuditError,
    KeyReused,
    Session,
    StorageError,
    StoredOverride,
    Token,
    User,
    VerifyResult,
    canonical_json,
    instant_text,
    parse_data,
    parse_instant,
)
from .result import Connection
from .screens import Screens

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


# The entries after a seq, the head (seq, hash, MAC) and the pre-key anchor.
Chain = tuple[list[Row], tuple[int, str, str] | None, Anchor | None]


async def read_chain(conn: Connection, after: int = 0) -> Chain:
    """The entries after seq ``after``, the head (seq, hash, MAC) and the pre-key anchor."""
    rows = await conn.all(
        "SELECT seq, id, created, actor, data, prev_hash, hash FROM overrides WHERE seq > ? "
        "ORDER BY seq",
        (after,),
    )
    head = await conn.one("SELECT seq, hash, mac FROM chain_head")
    anchor = await conn.one("SELECT seq, hash, mac FROM chain_anchor")
    return (
        rows,
        (int(head[0]), str(head[1]), str(head[2])) if head else None,
        Anchor(int(anchor[0]), str(anchor[1]), str(anchor[2])) if anchor else None,
    )


def check_recorded_head(rows: list[Row], result: VerifyResult, head: str | None) -> VerifyResult:
    """``result`` (of the whole log, ``rows``), failed unless the log holds the entry a recorded
    head digest names, with that hash.  ValueError for a malformed digest."""
    if head is None or not result.ok:
        return result
    seq, prefix = parse_digest(head)
    held = next((r[6] for r in rows if r[0] == seq), None)
    if held is None:
        return VerifyResult(
            False, result.checked, seq, f"entry {seq} of the recorded head is missing"
        )
    if not str(held).startswith(prefix):
        return VerifyResult(
            False, result.checked, seq, f"entry {seq} differs from the recorded head"
        )
    return result


class Store(Programmes, Screens, Accounts):
    """The override log and the account records, in the SQLite file ``database`` or the
    PostgreSQL database at the URL ``database`` (store/base.py)."""

    def __init__(
        self,
        database: Path | str,
        *,
        key_path: Path | None = None,
        password_hasher: PasswordHasher | None = None,
    ) -> None:
        super().__init__(database, key_path=key_path, password_hasher=password_hasher)

    async def append_override(
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

        async def append(conn: Connection) -> tuple[StoredOverride, bool]:
            if idempotency_key is not None:
                found = await self._idempotent(conn, scope, idempotency_key)
                if found is not None:
                    earlier, earlier_fingerprint = found
                    if None not in (fingerprint, earlier_fingerprint) and (
                        fingerprint != earlier_fingerprint
                    ):
                        raise KeyReused(earlier)
                    return earlier, False
            # The head, not max(seq): if entries were deleted behind our back, new ones must
            # not reuse their numbers and hide the gap.
            head = await conn.one("SELECT seq, hash FROM chain_head")
            seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS)
            hash = entry_hash(prev_hash, seq, id, created_text, actor, stored_data, self._keyed())
            try:
                await conn.execute(
                    "INSERT INTO overrides (seq, id, created, actor, data, prev_hash, hash) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (seq, id, created_text, actor, data_text, prev_hash, hash),
                )
            except INTEGRITY_ERRORS:
                raise ValueError(f"override id {id!r} is already in the log") from None
            await conn.execute(
                "INSERT INTO chain_head (one, seq, hash, mac) VALUES (1, ?, ?, ?) "
                "ON CONFLICT (one) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, "
                "mac = excluded.mac",
                (seq, hash, seal(self._keyed(), "head", seq, hash)),
            )
            if idempotency_key is not None:
                # Same transaction as the override: after a crash a retry finds both or
                # neither, so it is stored exactly once.
                await conn.execute(
                    "INSERT INTO idempotency (actor, key, seq, fingerprint) VALUES (?, ?, ?, ?)",
                    (scope, idempotency_key, seq, fingerprint),
                )
            await self._notify(conn, "override", seq)
            created_back = parse_instant(created_text)
            stored = StoredOverride(seq, id, created_back, actor, stored_data, prev_hash, hash)
            return stored, True

        return await self._write(append)

    async def find_idempotent(self, scope: str, idempotency_key: str) -> StoredOverride | None:
        """The override stored with ``idempotency_key`` in ``scope`` (the actor, unless
        append_override was given another), if any."""
        found = await self.find_keyed(scope, idempotency_key)
        return found[0] if found else None

    async def find_keyed(
        self, scope: str, idempotency_key: str
    ) -> tuple[StoredOverride, str | None] | None:
        """The override stored with ``idempotency_key`` in ``scope`` and the fingerprint of the
        request that made it (None if not recorded), if any: lets a caller answer a retry
        before validating it; append_override checks again under the write lock."""
        return await self._read(lambda conn: self._idempotent(conn, scope, idempotency_key))

    @staticmethod
    async def _idempotent(
        conn: Connection, scope: str, key: str
    ) -> tuple[StoredOverride, str | None] | None:
        row = await conn.one(
            "SELECT o.seq, o.id, o.created, o.actor, o.data, o.prev_hash, o.hash, i.fingerprint "
            "FROM idempotency AS i JOIN overrides AS o ON o.seq = i.seq "
            "WHERE i.actor = ? AND i.key = ?",
            (scope, key),
        )
        return (_override(row[:7]), row[7]) if row else None

    async def overrides(self) -> list[StoredOverride]:
        """All overrides, in seq order.  Raises AuditError if an entry is unreadable."""
        rows = await self._all(
            "SELECT seq, id, created, actor, data, prev_hash, hash FROM overrides ORDER BY seq"
        )
        return [_override(row) for row in rows]

    async def overrides_after(self, seq: int) -> list[StoredOverride]:
        """The overrides appended after ``seq``, in order: what another process appended since
        the last one this process saw."""
        rows = await self._all(
            "SELECT seq, id, created, actor, data, prev_hash, hash FROM overrides "
            "WHERE seq > ? ORDER BY seq",
            (seq,),
        )
        return [_override(row) for row in rows]

    async def override(self, id: str) -> StoredOverride | None:
        row = await self._one(
            "SELECT seq, id, created, actor, data, prev_hash, hash FROM overrides WHERE id = ?",
            (id,),
        )
        return _override(row) if row else None

    # --- the keyed chain (store/chain.py) ---------------------------------------------------

    def _keyed(self) -> bytes:
        if self._key is None:
            raise AuditError(
                f"the audit key {self.key_path} is missing: put it back (from where the"
                " installation's key is kept) before anything is added to the log"
            )
        return self._key

    async def verify(self, head: str | None = None) -> VerifyResult:
        """Recompute the whole chain; the result names the first bad entry and what is wrong.
        ``head``: a digest ``head_digest`` gave earlier, which the log must still hold."""
        if head is not None:
            parse_digest(head)  # ValueError for a malformed digest, before any work
        rows, last, anchor = await self._read(read_chain)
        return check_recorded_head(rows, verify_chain(rows, last, self._key, anchor), head)

    async def head_digest(self) -> str | None:
        """A short digest of the log's newest entry, to record elsewhere; None for an empty log."""
        head = await self._one("SELECT seq, hash FROM chain_head")
        return head_digest(int(head[0]), str(head[1])) if head else None

    async def verify_since_checked(self) -> VerifyResult:
        """Verify what was appended since the last verification that passed (all of the log the
        first time), and remember how far it got.  What start-up runs: a large log does not
        delay it.  The point reached is sealed with the key, and must still be in the log with
        the same hash, or the whole log is verified again."""
        key = self._key

        async def since_checked(conn: Connection) -> tuple[tuple[int, str], Chain]:
            checked = await conn.one("SELECT seq, hash, mac FROM chain_checked")
            start = (0, GENESIS)
            if checked is not None and key is not None:
                seq, hash, mac = int(checked[0]), str(checked[1]), str(checked[2])
                held = await conn.one("SELECT hash, prev_hash FROM overrides WHERE seq = ?", (seq,))
                sealed = seal(key, "checked", seq, hash)
                if held is not None and held[0] == hash and hmac.compare_digest(mac, sealed):
                    start = (seq - 1, str(held[1]))  # that entry is checked again too
            return start, await read_chain(conn, after=start[0])

        start, (rows, last, anchor) = await self._read(since_checked)
        result = verify_chain(rows, last, key, anchor, start)
        if result.ok and last is not None and key is not None:
            # Only a shortcut for the next start: a disk too full to note it changes nothing.
            with contextlib.suppress(StorageError):
                await self._change(
                    "INSERT INTO chain_checked (one, seq, hash, mac) VALUES (1, ?, ?, ?) "
                    "ON CONFLICT (one) DO UPDATE SET seq = excluded.seq, "
                    "hash = excluded.hash, mac = excluded.mac",
                    (last[0], last[1], seal(key, "checked", last[0], last[1])),
                )
        return result

    async def slot_snapshots(self) -> dict[str, list[dict[str, Any]]]:
        """Each room's slots as last published (see ``save_slot_snapshots``)."""
        rows = await self._all("SELECT room, slots FROM slot_ids")
        snapshots: dict[str, list[dict[str, Any]]] = {}
        for room, text in rows:
            try:
                snapshots[room] = list(parse_data(text)["slots"])
            except (ValueError, KeyError, TypeError):
                continue  # unreadable: the room's slots get new ids, nothing worse
        return snapshots

    async def save_slot_snapshots(
        self, snapshots: dict[str, list[dict[str, Any]]], now: datetime
    ) -> None:
        """Replace the rooms' snapshots, in one transaction."""

        async def save(conn: Connection) -> None:
            for room, slots in snapshots.items():
                await conn.execute(
                    "INSERT INTO slot_ids (room, slots, updated) VALUES (?, ?, ?) "
                    "ON CONFLICT (room) DO UPDATE SET slots = excluded.slots, "
                    "updated = excluded.updated",
                    (room, canonical_json({"slots": slots}), instant_text(now)),
                )

        await self._write(save)

    async def screen_labels(self) -> dict[tuple[str, str], str]:
        """The labels staff gave displays: (room, name) → label."""
        rows = await self._all("SELECT room, name, label FROM screen_labels")
        return {(room, name): label for room, name, label in rows}

    async def set_screen_label(self, room: str, name: str, label: str) -> None:
        """Label the display ``name`` of ``room``; an empty ``label`` removes it."""
        if label:
            await self._change(
                "INSERT INTO screen_labels (room, name, label) VALUES (?, ?, ?) "
                "ON CONFLICT (room, name) DO UPDATE SET label = excluded.label",
                (room, name, label),
            )
        else:
            await self._change(
                "DELETE FROM screen_labels WHERE room = ? AND name = ?", (room, name)
            )
