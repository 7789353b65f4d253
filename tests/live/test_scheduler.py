"""The scheduler: a room is refreshed at each boundary, however late its job runs.

The app is built in-process with an accelerated demo clock and its lifespan entered directly;
the tests wait on a hub subscriber (with timeouts), never sleep until a boundary.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from starlette.applications import Starlette

import dashboard.live.scheduler as scheduler_module
from dashboard.clock import ShiftedClock
from dashboard.live.hub import Frame, Hub, Subscriber
from dashboard.live.scheduler import (
    JOB_DEFAULTS,
    PREPARE_AHEAD,
    RoomScheduler,
    job_id,
    prepare_job_id,
)
from dashboard.live.service import display_channel
from dashboard.settings import Settings
from dashboard.web.app import create_app
from tests.conftest import make_config

NY = ZoneInfo("America/New_York")


def ny(day: int, hour: int, minute: int = 0, second: float = 0) -> datetime:
    return datetime(2023, 12, day, hour, minute, tzinfo=NY) + timedelta(seconds=second)


def status_and_slot(frame: Frame) -> tuple[str, str | None]:
    now = re.sub(r"<template\b.*?</template>", "", frame.text, flags=re.DOTALL)  # states to come
    status = re.search(r'data-status="([a-z_]+)"', now)
    current = re.search(r'<article class="current" data-slot="([0-9-]+)"', now)
    assert status is not None, frame.text
    return status.group(1), current.group(1) if current else None


@asynccontextmanager
async def running_app(config: Path, clock: ShiftedClock) -> AsyncIterator[Starlette]:
    # The database beside the temporary config: never the checkout's data/.
    app = create_app(Settings.load(config, data_dir=config / "data"), clock=clock)
    async with app.router.lifespan_context(app):
        yield app


async def take(subscriber: Subscriber, timeout: float) -> Frame:
    frame = await asyncio.wait_for(subscriber.next(), timeout)
    assert frame is not None
    return frame


def test_job_defaults_never_drop_a_change() -> None:
    assert JOB_DEFAULTS["misfire_grace_time"] is None
    assert JOB_DEFAULTS["coalesce"] is True


async def test_the_room_job_carries_the_defaults(tmp_path: Path) -> None:
    clock = ShiftedClock(ny(13, 11), speed=1)
    async with running_app(make_config(tmp_path), clock) as app:
        scheduler: RoomScheduler = app.state.scheduler
        job = scheduler.scheduler.get_job(job_id("cr4"))
        assert job is not None
        assert job.misfire_grace_time is None
        assert job.coalesce is True
        # Planned for the end of the 10 a.m. slot, in real time.
        run = scheduler.next_run("cr4")
        assert run is not None
        expected = clock.real_time_of(ny(13, 13))
        assert abs(run - expected) < timedelta(seconds=1)
        # And the state at 1 p.m. is rendered ahead, PREPARE_AHEAD before (so that the change
        # only publishes: tests/live/test_boundary_work.py).
        prepare = scheduler.scheduler.get_job(prepare_job_id("cr4"))
        assert prepare is not None and prepare.args == ("cr4", ny(13, 13))
        assert abs(prepare.next_run_time - (expected - PREPARE_AHEAD)) < timedelta(seconds=1)


async def test_boundaries_on_an_accelerated_clock(tmp_path: Path) -> None:
    # 7200×: from 11:30, the 13:00 boundary is 0.75 s away and the 15:00 one 1 s later.
    clock = ShiftedClock(ny(13, 11, 30), speed=7200)
    expected = [
        ("in_session", "2023-12-13-1000"),
        ("next_today", None),
        ("in_session", "2023-12-13-1500"),
    ]
    async with running_app(make_config(tmp_path), clock) as app:
        hub: Hub = app.state.hub
        subscriber = hub.subscribe(display_channel("cr4"))
        seen: list[tuple[int, str, str | None]] = []
        while not seen or seen[-1][1:] != expected[-1]:
            frame = await take(subscriber, 5)
            seen.append((frame.version, *status_and_slot(frame)))
            assert len(seen) <= 3, seen
        # Published when the venue clock reached 15:00, give or take the event loop's latency
        # (a venue minute is 8 ms of real time here); not at 13:00 nor 18:00.
        assert abs(clock.now() - ny(13, 15)) < timedelta(minutes=45)
        # Versions climb by one per published state, and the states come in order.  (A slow
        # start-up may have let the 13:00 change pass before the subscription; a loop stalled
        # for a second would refresh straight to the 15:00 state: both are allowed.)
        assert len(seen) >= 2, f"started too late: {seen}"
        states = [s[1:] for s in seen]
        assert states == [state for state in expected if state in states]
        assert [s[0] for s in seen] == list(range(seen[0][0], seen[0][0] + len(seen)))
        # And the end of that slot is planned next.
        run = app.state.scheduler.next_run("cr4")
        assert run is not None
        assert abs(run - clock.real_time_of(ny(13, 18))) < timedelta(seconds=1)


def lagging_clock(start: datetime, speed: float, behind: timedelta) -> ShiftedClock:
    """A demo clock whose idea of the system time is ``behind`` the real one: every job it
    plans lands that far in the past, as after a stalled event loop or a suspended laptop."""
    return ShiftedClock(start, speed, system_now=lambda: datetime.now(UTC) - behind)


async def wait_for_slot(subscriber: Subscriber, slot_id: str, timeout: float) -> Frame:
    async def scan() -> Frame:
        while True:
            frame = await take(subscriber, timeout)
            if status_and_slot(frame) == ("in_session", slot_id):
                return frame

    return await asyncio.wait_for(scan(), timeout)


async def test_a_job_planned_in_the_past_still_runs(tmp_path: Path) -> None:
    # The 15:00 boundary is 10 s of venue time away, but its job is planned 50 s in the past.
    clock = lagging_clock(ny(13, 14, 59, 50), speed=1, behind=timedelta(seconds=60))
    assert clock.real_time_of(ny(13, 15)) < datetime.now(UTC) - timedelta(seconds=45)
    async with running_app(make_config(tmp_path), clock) as app:
        hub: Hub = app.state.hub
        subscriber = hub.subscribe(display_channel("cr4"))
        frame = await wait_for_slot(subscriber, "2023-12-13-1500", 5)
        # Version 1 was the 14:59:50 state; the late job made version 2.
        assert frame.version == 2
        # The 18:00 change is planned next.
        run = app.state.scheduler.next_run("cr4")
        assert run is not None
        assert abs(run - clock.real_time_of(ny(13, 18))) < timedelta(seconds=1)


async def test_with_apschedulers_default_grace_the_late_job_would_be_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control for the test above: its late job really is a misfire, which APScheduler's
    usual one-second grace would drop."""
    monkeypatch.setattr(scheduler_module, "JOB_DEFAULTS", {**JOB_DEFAULTS, "misfire_grace_time": 1})
    clock = lagging_clock(ny(13, 14, 59, 50), speed=1, behind=timedelta(seconds=60))
    async with running_app(make_config(tmp_path), clock) as app:
        hub: Hub = app.state.hub
        subscriber = hub.subscribe(display_channel("cr4"))
        first = await take(subscriber, 2)
        assert status_and_slot(first) == ("next_today", None)
        with pytest.raises(TimeoutError):
            await wait_for_slot(subscriber, "2023-12-13-1500", 1.5)
        # Dropped, not merely slow: the date job is gone and nothing else is planned.
        assert app.state.scheduler.next_run("cr4") is None


async def test_a_late_tick_refreshes_at_the_instant_it_was_planned_for(tmp_path: Path) -> None:
    """A job that fires a hair early on a scaled clock still shows the boundary it was for."""
    clock = ShiftedClock(ny(13, 14, 59), speed=1)
    async with running_app(make_config(tmp_path), clock) as app:
        scheduler: RoomScheduler = app.state.scheduler
        subscriber = app.state.hub.subscribe(display_channel("cr4"))
        first = await take(subscriber, 2)
        assert status_and_slot(first) == ("next_today", None)
        await scheduler._tick("cr4", ny(13, 15))  # the venue clock still shows 14:59
        frame = await take(subscriber, 1)
        assert status_and_slot(frame) == ("in_session", "2023-12-13-1500")
        # ... and planned the next change from there: the end of the slot.
        run = scheduler.next_run("cr4")
        assert run is not None
        assert abs(run - clock.real_time_of(ny(13, 18))) < timedelta(seconds=1)
