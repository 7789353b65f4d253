"""The screens each process holds, shared on PostgreSQL (store/screens.py): a dismissal is
stored, numbered and NOTIFYed in one transaction, deletes the rows it covers, and hides the rows
a process writes again before it has applied it; not a screen heard from since.  With SQLite
(one process) there is nothing to share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg

from dashboard.store.pg import CHANNEL
from dashboard.store.screens import ScreenRow
from tests.store.conftest import Db, open_store

T0 = datetime(2023, 12, 13, 15, 0, tzinfo=UTC)
LONG_AGO = T0 - timedelta(days=1)


def row(name: str, last_seen: datetime, connections: int = 0) -> ScreenRow:
    return ScreenRow("cr4", name, "10.0.0.7", T0 - timedelta(hours=1), last_seen, connections,
                     True, False)  # fmt: skip


def names(rows: list[ScreenRow]) -> set[str]:
    return {r.name for r in rows}


async def test_a_dismissal_reaches_every_process_through_the_database(db: Db) -> None:
    async with open_store(db) as store:
        if isinstance(db, str):
            listener = psycopg.connect(db, autocommit=True)
            listener.execute(f"LISTEN {CHANNEL}")
        await store.save_screens("b", [row("door", T0), row("lit", T0, 1)], T0, LONG_AGO)
        seq = await store.dismiss_screen("cr4", "door", T0, T0 + timedelta(minutes=1))
        if not isinstance(db, str):  # one process: nothing to share, nothing stored
            assert seq is None and await store.dismissals_after(0) == []
            assert await store.last_dismissal() == 0
            return
        assert seq == await store.last_dismissal() == 1
        heard = [n.payload for n in listener.notifies(timeout=30, stop_after=1)]
        assert heard == ['{"kind": "screens", "version": 1}']
        listener.close()
        [dismissal] = await store.dismissals_after(0)
        assert (dismissal.seq, dismissal.room, dismissal.name, dismissal.seen) == (
            1, "cr4", "door", T0,
        )  # fmt: skip
        assert await store.dismissals_after(1) == []
        assert names(await store.screens_elsewhere("a", LONG_AGO)) == {"lit"}, "its row deleted"
        # B writes its copy again before it has applied the dismissal: still not listed.
        await store.save_screens("b", [row("door", T0), row("lit", T0, 1)], T0, LONG_AGO)
        assert names(await store.screens_elsewhere("a", LONG_AGO)) == {"lit"}
        # Heard from since (it came back and left again), or connected: listed.
        later = T0 + timedelta(minutes=5)
        await store.save_screens("b", [row("door", later)], later, LONG_AGO)
        assert names(await store.screens_elsewhere("a", LONG_AGO)) == {"door"}
        await store.save_screens("b", [row("door", T0, 1)], later, LONG_AGO)
        assert names(await store.screens_elsewhere("a", LONG_AGO)) == {"door"}


async def test_a_connected_screen_is_not_deleted_by_a_dismissal(db: Db) -> None:
    async with open_store(db) as store:
        await store.save_screens("b", [row("door", T0, 1)], T0, LONG_AGO)
        await store.dismiss_screen("cr4", "door", T0, T0)
        expected = {"door"} if isinstance(db, str) else set()  # SQLite: no rows at all
        assert names(await store.screens_elsewhere("a", LONG_AGO)) == expected
