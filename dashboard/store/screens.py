"""The displays each process holds, on PostgreSQL: so that the console of any process lists the
screens of every process.  Each process writes its registry in one transaction every few
seconds (a batch: never a write per heartbeat), and reads the other processes' rows; a process
that stopped writing is gone, and its rows are ignored (its displays reconnect elsewhere).

Staff dismissing a screen that is not connected is stored too, numbered, with the time it was
last heard from as the console listed it, and NOTIFYed in the same transaction: every process
then forgets its copy if it has not heard from the screen since (live/screen_sync.py), and
until it has, its row is not listed by the others.  A screen that connects again is listed
again: a dismissal concerns only what was heard up to ``seen``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from .base import Database
from .records import instant_text, parse_instant
from .result import Connection


class ScreenRow(NamedTuple):
    room: str
    name: str
    address: str
    connected_at: datetime
    last_seen: datetime
    connections: int
    known: bool
    closed_cleanly: bool


class Dismissal(NamedTuple):
    seq: int
    room: str
    name: str
    seen: datetime  # the screen's last-heard time when staff dismissed it


class Screens(Database):
    async def save_screens(
        self, process: str, rows: Sequence[ScreenRow], now: datetime, forget_before: datetime
    ) -> None:
        """Replace ``process``'s rows with ``rows``, in one transaction; forget the processes
        that have not written since ``forget_before``."""
        if self.url is None:
            return  # one process: its registry is all there is

        async def save(conn: Connection) -> None:
            await conn.execute("DELETE FROM screens WHERE process = ?", (process,))
            gone = "SELECT process FROM screen_processes WHERE written < ?"
            old = instant_text(forget_before)
            await conn.execute(f"DELETE FROM screens WHERE process IN ({gone})", (old,))  # noqa: S608
            await conn.execute("DELETE FROM screen_processes WHERE written < ?", (old,))
            # Past this, no process still holds a copy it has not had time to forget.
            await conn.execute("DELETE FROM screen_dismissals WHERE dismissed < ?", (old,))
            for row in rows:
                await conn.execute(
                    "INSERT INTO screens (process, room, name, address, connected_at, "
                    "last_seen, connections, known, closed_cleanly, written) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        process,
                        row.room,
                        row.name,
                        row.address,
                        instant_text(row.connected_at),
                        instant_text(row.last_seen),
                        row.connections,
                        int(row.known),
                        int(row.closed_cleanly),
                        instant_text(now),
                    ),
                )
            await conn.execute(
                "INSERT INTO screen_processes (process, written) VALUES (?, ?) "
                "ON CONFLICT (process) DO UPDATE SET written = excluded.written",
                (process, instant_text(now)),
            )

        await self._write(save)

    async def screens_elsewhere(self, process: str, since: datetime) -> list[ScreenRow]:
        """The rows of the other processes that wrote at or after ``since``."""
        if self.url is None:
            return []
        rows = await self._all(
            "SELECT s.room, s.name, s.address, s.connected_at, s.last_seen, s.connections, "
            "s.known, s.closed_cleanly FROM screens AS s "
            "JOIN screen_processes AS p ON p.process = s.process "
            "WHERE s.process <> ? AND p.written >= ? "
            # Not a row a later dismissal covers: its process may not have applied it yet.
            "AND NOT (s.connections = 0 AND EXISTS (SELECT 1 FROM screen_dismissals AS d "
            "WHERE d.room = s.room AND d.name = s.name AND d.seen >= s.last_seen))",
            (process, instant_text(since)),
        )
        return [
            ScreenRow(
                str(room),
                str(name),
                str(address),
                parse_instant(connected_at),
                parse_instant(last_seen),
                int(connections),
                bool(known),
                bool(clean),
            )
            for room, name, address, connected_at, last_seen, connections, known, clean in rows
        ]

    async def dismiss_screen(
        self, room: str, name: str, seen: datetime, now: datetime
    ) -> int | None:
        """Staff dismissed (at ``now``) the screen ``room``/``name``, last heard from at
        ``seen``: store it and NOTIFY every process, in one transaction, and delete the rows it
        covers.  Its number; None with SQLite (one process: its registry is all there is)."""
        if self.url is None:
            return None
        at = instant_text(seen)

        async def dismiss(conn: Connection) -> int:
            row = await conn.one(
                "INSERT INTO screen_dismissals (room, name, seen, dismissed) VALUES (?, ?, ?, ?)"
                " RETURNING seq",
                (room, name, at, instant_text(now)),
            )
            seq = int(row[0])
            await conn.execute(
                "DELETE FROM screens WHERE room = ? AND name = ? AND connections = 0"
                " AND last_seen <= ?",
                (room, name, at),
            )
            await self._notify(conn, "screens", seq)
            return seq

        return await self._write(dismiss)

    async def dismissals_after(self, seq: int) -> list[Dismissal]:
        """The dismissals numbered after ``seq``, in order ([] with SQLite)."""
        if self.url is None:
            return []
        rows = await self._all(
            "SELECT seq, room, name, seen FROM screen_dismissals WHERE seq > ? ORDER BY seq",
            (seq,),
        )
        return [Dismissal(int(n), str(r), str(m), parse_instant(t)) for n, r, m, t in rows]

    async def last_dismissal(self) -> int:
        """The number of the last dismissal stored (0: none, or SQLite)."""
        if self.url is None:
            return 0
        row = await self._one("SELECT max(seq) FROM screen_dismissals")
        return int(row[0] or 0) if row else 0
