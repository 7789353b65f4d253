"""The override desk and the awaited store: a submission whose caller goes away half-way (its
client gone, the server stopping) is not cut short between the commit and the screens."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher

from dashboard.clock import ShiftedClock
from dashboard.domain.loader import load_programme
from dashboard.domain.rooms import Room
from dashboard.live.desk import OverrideDesk
from dashboard.live.hub import Hub
from dashboard.live.render import Renderer
from dashboard.live.scheduler import RoomScheduler
from dashboard.live.service import LiveService
from dashboard.site import Site
from dashboard.store import Store
from tests.conftest import SHIPPED_NOTE

NY = ZoneInfo("America/New_York")
START = datetime(2023, 12, 13, 9, 30, tzinfo=NY)
CHEAP = PasswordHasher(time_cost=1, memory_cost=8192)


def cancel(slot: str) -> dict[str, str]:
    return {"room": "cr4", "kind": "cancel", "slot": slot}


async def test_a_submission_cancelled_while_it_commits_is_stored_and_shown(
    tmp_path: Path,
) -> None:
    """The caller is cancelled while the append waits for the database (here SQLite's write
    lock, held by another connection as another process would): the append still commits, and
    the override committed is also applied to the live state, as acknowledged ones are.
    Without the shield, the commit goes on on the store's thread but the override is never
    shown (until a restart)."""
    programme = load_programme(SHIPPED_NOTE.read_bytes(), SHIPPED_NOTE.name).programme
    site = Site((Room("cr4", "Conference Room 4", "p.txt"),), {"cr4": programme})
    clock = ShiftedClock(START, monotonic=lambda: 0.0)  # stopped at 9:30
    service = LiveService(site, clock, Renderer("en"), Hub())
    database = tmp_path / "dashboard.db"
    async with Store(database, password_hasher=CHEAP) as store:
        desk = OverrideDesk(service, RoomScheduler(service), store)
        other = sqlite3.connect(database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # the write lock, held elsewhere
        try:
            first = asyncio.create_task(desk.submit(cancel("2023-12-13-1000"), "chair", None))
            for _ in range(10):  # to the append's wait for the lock, on the store's thread
                await asyncio.sleep(0)
            assert not first.done()
            first.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await first
            assert first.cancelled()
        finally:
            other.execute("COMMIT")  # the lock let go: the append goes on
            other.close()
        # The desk takes submissions one at a time: the next one ends after the first.
        second = await desk.submit(cancel("2023-12-13-1500"), "chair", None)
        stored = await store.overrides()
        assert [o.data["slots"] for o in stored] == [
            {"cr4": "2023-12-13-1000"},
            {"cr4": "2023-12-13-1500"},
        ]
        shown = {o.id for o in service.overrides}
        assert {o.id for o in stored} <= shown, "an override committed is an override shown"
        assert second.seq == 2
