"""The screens list across processes sharing a PostgreSQL store: every ``SYNC_SECONDS`` each
process writes its own registry (one transaction, whatever the number of heartbeats heard
meanwhile) and reads the others' into ``ScreenRegistry.elsewhere``, and the labels staff gave.
A process silent for ``GONE_AFTER`` syncs is gone: its rows are not listed (its displays
reconnect elsewhere).

A screen staff dismiss (``dismiss``) is stored and NOTIFYed in one transaction; each process
then reads the dismissals numbered after the last it applied (``catch_up``: called by the
follower at each notification and each reconnection, live/follow.py, so none is missed) and
forgets its copy of each screen not heard from since."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import timedelta

from ..clock import Clock
from ..store import StorageError, Store
from ..store.screens import Dismissal, ScreenRow
from .screens import Screen, ScreenRegistry

LOG = logging.getLogger("dashboard.screens")
SYNC_SECONDS = 2.0
GONE_AFTER = 3  # syncs
FORGET_AFTER = timedelta(hours=1)  # a gone process's rows are deleted after this


class ScreenSync:
    def __init__(
        self, registry: ScreenRegistry, store: Store, clock: Clock, last_dismissal: int
    ) -> None:
        self.registry = registry
        self.store = store
        self.clock = clock
        self.last_dismissal = last_dismissal  # the number of the last dismissal applied
        # Unique among every process, this one's restarts included.
        self.process = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    async def sync(self) -> None:
        """Scheduler job: write ours, read theirs.  A database that does not answer leaves the
        list as it was (/healthz reports the database)."""
        now = self.clock.now()
        rows = [_row(screen) for screen in self.registry.own()]
        since = now - timedelta(seconds=GONE_AFTER * SYNC_SECONDS * self.clock.speed)
        try:
            await self.store.save_screens(self.process, rows, now, now - FORGET_AFTER)
            theirs = await self.store.screens_elsewhere(self.process, since)
            # Staff may have named a display on another process.
            labels = await self.store.screen_labels()
        except StorageError as exc:
            LOG.warning("screens not shared: %s", exc)
            return
        self.registry.elsewhere = {(r.room, r.name): _screen(r) for r in theirs}
        self.registry.labels = labels

    async def dismiss(self, screen: Screen) -> None:
        """Staff dismissed ``screen`` (listed, not connected): every process forgets it.
        StorageError if the database does not take it (nothing is forgotten then)."""
        now = self.clock.now()
        seq = await self.store.dismiss_screen(screen.room, screen.name, screen.last_seen, now)
        assert seq is not None  # a sync exists only on PostgreSQL, which numbers dismissals
        self._apply(Dismissal(seq, screen.room, screen.name, screen.last_seen))

    async def catch_up(self) -> None:
        """Apply the dismissals made (on any process) after the last one applied, in order."""
        for dismissal in await self.store.dismissals_after(self.last_dismissal):
            self._apply(dismissal)

    def _apply(self, dismissal: Dismissal) -> None:
        self.registry.dismiss(dismissal.room, dismissal.name, dismissal.seen)
        self.last_dismissal = max(self.last_dismissal, dismissal.seq)


def _row(screen: Screen) -> ScreenRow:
    return ScreenRow(
        screen.room,
        screen.name,
        screen.address,
        screen.connected_at,
        screen.last_seen,
        screen.connections,
        screen.known,
        screen.closed_cleanly,
    )


def _screen(row: ScreenRow) -> Screen:
    return Screen(
        row.room,
        row.name,
        row.address,
        row.connected_at,
        row.last_seen,
        connections=row.connections,
        known=row.known,
        closed_cleanly=row.closed_cleanly,
    )
