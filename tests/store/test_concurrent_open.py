"""Opening the database while another process holds its lock: the server starting while an
operator's ``dashboard user add`` writes.  SQLite's busy handler waits 5 s at most, and does not
always wait (a new file switched to WAL by two processes at once has failed at once with
"database is locked"), so ``open_db`` retries the WAL switch and the migrations itself, for up to
10 s.  Here another process holds the lock for longer than the busy handler waits."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from dashboard.store import Store
from tests.conftest import ROOT

HOLD = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
conn.execute("CREATE TABLE held (x)")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


async def test_opening_waits_for_another_process_that_holds_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "dashboard.sqlite3"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), "6.5"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        # A new file, locked for longer than SQLite's busy handler waits: the constructor
        # (synchronous) opens and migrates it; then the store opens and closes in this loop.
        async with Store(path) as store:
            assert (await store.verify()).ok  # and it is usable
    finally:
        holder.wait(30)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT count(*) FROM held").fetchone()[0] == 0
