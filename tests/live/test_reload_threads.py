"""A revised programme is read in a worker thread, whichever way it comes (reload, dry run,
the console's compare and publish): the event loop that serves every screen runs meanwhile.
Only the swap runs on the loop, and one revision at a time.

The app runs in this process; ``load_programme`` is watched (the real one still reads): each
call notes its thread, then waits for the event loop to let it go.  Were the reading on the
loop, the loop could not let it go: the test would fail, not hang (the waits are bounded).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from starlette.applications import Starlette

from dashboard import site as site_module
from dashboard.domain.note_parser import ParseResult
from dashboard.live import revisions as revisions_module
from dashboard.live.reload import Reloader
from dashboard.live.revisions import RevisionDesk
from dashboard.settings import Settings
from dashboard.web.app import create_app
from tests.conftest import SHIPPED_NOTE, make_config
from tests.web._console import AFTERNOON, MOVED, MOVED_NOTE

T = TypeVar("T")
BOUND = 10.0  # seconds: only ever reached when the reading blocks the loop
WEDNESDAY_MORNING = datetime(2023, 12, 13, 11, 0, tzinfo=ZoneInfo("America/New_York"))


class Reading:
    """``load_programme`` watched: where each call runs, held until the loop lets it go."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.loop = asyncio.get_running_loop()
        self.calls: list[tuple[str, int]] = []  # ("start" | "end", thread)
        self.started = asyncio.Event()
        self.go = threading.Event()
        for module in (site_module, revisions_module):
            monkeypatch.setattr(module, "load_programme", self.wrap(module.load_programme))

    def wrap(self, real: Callable[..., ParseResult]) -> Callable[..., ParseResult]:
        def reading(*args: Any, **kwargs: Any) -> ParseResult:
            self.calls.append(("start", threading.get_ident()))
            self.loop.call_soon_threadsafe(self.started.set)
            if not self.go.wait(BOUND):
                raise AssertionError("the event loop did not run while a programme was read")
            try:
                return real(*args, **kwargs)
            finally:
                self.calls.append(("end", threading.get_ident()))

        return reading

    async def held(self, action: Awaitable[T]) -> T:
        """Run ``action``; once its reading has started (and the loop is free to see it), let
        the reading go; ``action``'s result."""
        task = asyncio.ensure_future(action)
        await asyncio.wait_for(self.started.wait(), BOUND)
        self.go.set()
        result = await task
        self.started.clear()
        self.go.clear()
        return result

    def threads(self) -> set[int]:
        return {thread for _, thread in self.calls}


@pytest.fixture
def app(tmp_path: Path) -> Starlette:
    config = make_config(tmp_path / "config")
    return create_app(Settings.load(config, data_dir=tmp_path / "data", start_at=WEDNESDAY_MORNING))


def next_slot(app: Starlette) -> str:
    """When the next meeting starts ("YYYY-MM-DD-HHMM"); it is the same meeting throughout."""
    reloader: Reloader = app.state.reloader
    programme = reloader.service.site.programmes["cr4"]
    upcoming = programme.next_slot(reloader.service.clock.now())
    assert upcoming is not None and upcoming.id == AFTERNOON
    return upcoming.start.strftime("%Y-%m-%d-%H%M")


async def test_every_way_in_reads_off_the_loop(
    app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    reading = Reading(monkeypatch)
    reloader: Reloader = app.state.reloader
    desk: RevisionDesk = app.state.revisions
    note = reloader.settings.config_dir / SHIPPED_NOTE.name

    staged = await reading.held(desk.stage(SHIPPED_NOTE.name, "revised.txt", MOVED_NOTE.encode()))
    assert [m.before.id for m in staged.compared.diffs["cr4"].moved] == [AFTERNOON]
    assert next_slot(app) == AFTERNOON

    _, published = await reading.held(desk.publish(staged.id, WEDNESDAY_MORNING))
    assert published.ok, published.error
    assert next_slot(app) == MOVED  # swapped in

    note.write_text(MOVED_NOTE.replace("4–6 p.m.\tDedicated", "5–6 p.m.\tDedicated"))
    dry = await reading.held(reloader.check())
    assert [(m.after.id, m.after.start.hour) for m in dry.diffs["cr4"].moved] == [(AFTERNOON, 17)]
    assert next_slot(app) == MOVED  # a dry run changes nothing

    reloaded = await reading.held(reloader.reload())
    assert reloaded.ok, reloaded.error
    assert next_slot(app) == "2023-12-13-1700"

    assert len(reading.calls) == 2 * 4
    assert threading.get_ident() not in reading.threads()


async def test_one_revision_at_a_time(app: Starlette, monkeypatch: pytest.MonkeyPatch) -> None:
    reading = Reading(monkeypatch)
    reloader: Reloader = app.state.reloader
    waiting = asyncio.Event()

    class WatchedLock(asyncio.Lock):
        async def acquire(self) -> bool:
            if self.locked():
                waiting.set()
            return await super().acquire()

    reloader.lock = WatchedLock()
    first = asyncio.ensure_future(reloader.reload())
    await asyncio.wait_for(reading.started.wait(), BOUND)  # the first one is reading
    second = asyncio.ensure_future(reloader.reload())
    await asyncio.wait_for(waiting.wait(), BOUND)  # the second one waits for it
    assert not second.done()
    assert [event for event, _ in reading.calls] == ["start"]
    reading.go.set()
    assert (await first).ok and (await second).ok
    # One reading after the other, never interleaved.
    assert [event for event, _ in reading.calls] == ["start", "end", "start", "end"]
    # The watcher does not start a reload of its own while one is under way; it does after.
    note = reloader.settings.config_dir / SHIPPED_NOTE.name
    note.write_text(MOVED_NOTE, encoding="utf-8")
    async with reloader.lock:
        await asyncio.wait_for(reloader.watch(), BOUND)  # a reload would wait for the lock
    assert len(reading.calls) == 4
    assert next_slot(app) == AFTERNOON
    await reloader.watch()
    assert len(reading.calls) == 6
    assert next_slot(app) == MOVED
