"""The displays each process holds, on PostgreSQL: so that the console of any process lists the
screens of every process.  Each process writes its registry in one transaction every few
seconds (a batch: never a write per heartbeat), and reads the other processes' rows; a process
that stopped writing is gone, and its rows are ignored (its displays reconnect elsewhere)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from .base import Database
from .records import instant_text, parse_instant


class ScreenRow(NamedTuple):
    room: str
    name: str
    address: str
    connected_at: datetime
    last_seen: datetime
    connections: int
    known: bool
    closed_cleanly: bool


class Screens(Database):
    def save_screens(
        self, process: str, rows: Sequence[ScreenRow], now: datetime, forget_before: datetime
    ) -> None:
        """Replace ``process``'s rows with ``rows``, in one transaction; forget the processes
        that have not written since ``forget_before``."""
        if self.url is None:
            return  # one process: its registry is all there is
        with self._write() as conn:
            conn.execute("DELETE FROM screens WHERE process = ?", (process,))
            gone = "SELECT process FROM screen_processes WHERE written < ?"
            old = instant_text(forget_before)
            conn.execute(f"DELETE FROM screens WHERE process IN ({gone})", (old,))  # noqa: S608
            conn.execute("DELETE FROM screen_processes WHERE written < ?", (old,))
            for row in rows:
                conn.execute(
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
            conn.execute(
                "INSERT INTO screen_processes (process, written) VALUES (?, ?) "
                "ON CONFLICT (process) DO UPDATE SET written = excluded.written",
                (process, instant_text(now)),
            )

    def screens_elsewhere(self, process: str, since: datetime) -> list[ScreenRow]:
        """The rows of the other processes that wrote at or after ``since``."""
        if self.url is None:
            return []
        with self._read() as conn:
            rows = conn.execute(
                "SELECT s.room, s.name, s.address, s.connected_at, s.last_seen, s.connections, "
                "s.known, s.closed_cleanly FROM screens AS s "
                "JOIN screen_processes AS p ON p.process = s.process "
                "WHERE s.process <> ? AND p.written >= ?",
                (process, instant_text(since)),
            ).fetchall()
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
