"""What a room's screens show, instant by instant, across the shipped week; and when to ask again
(slot boundaries and local midnights, right across daylight-saving changes)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dashboard.domain.loader import load_programme
from dashboard.domain.programme import Programme, Slot
from dashboard.domain.timeline import ScreenState, Status, next_screen_change, screen_state
from tests.conftest import SHIPPED_NOTE

NY = ZoneInfo("America/New_York")
SANTIAGO = ZoneInfo("America/Santiago")


@pytest.fixture(scope="module")
def week() -> Programme:
    return load_programme(SHIPPED_NOTE.read_bytes(), str(SHIPPED_NOTE)).programme


def ny(day: int, hour: int, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    """An instant in New York, December 2023."""
    return datetime(2023, 12, day, hour, minute, second, micro, tzinfo=NY)


def ids(state: ScreenState) -> tuple[str | None, str | None]:
    return (
        state.current.id if state.current else None,
        state.next.id if state.next else None,
    )


def test_the_shipped_week_has_two_slots_a_day(week: Programme) -> None:
    assert week.timezone == "America/New_York"
    assert [s.id for s in week.slots] == [
        f"2023-12-{d}-{t}" for d in range(11, 16) for t in ("1000", "1500")
    ]


# (instant, status, current slot id, next slot id)
CASES = [
    # Before the session: nothing today, the opening is next.
    (ny(10, 12), Status.NO_MEETING_TODAY, None, "2023-12-11-1000"),
    (datetime(2023, 11, 1, 9, tzinfo=NY), Status.NO_MEETING_TODAY, None, "2023-12-11-1000"),
    # Monday morning, before the opening.
    (ny(11, 8), Status.NEXT_TODAY, None, "2023-12-11-1000"),
    (ny(11, 10), Status.IN_SESSION, "2023-12-11-1000", "2023-12-11-1500"),
    # Wednesday.
    (ny(13, 9, 59, 59), Status.NEXT_TODAY, None, "2023-12-13-1000"),
    (ny(13, 10), Status.IN_SESSION, "2023-12-13-1000", "2023-12-13-1500"),
    (ny(13, 11), Status.IN_SESSION, "2023-12-13-1000", "2023-12-13-1500"),
    (ny(13, 12, 59, 59, 999999), Status.IN_SESSION, "2023-12-13-1000", "2023-12-13-1500"),
    (ny(13, 13), Status.NEXT_TODAY, None, "2023-12-13-1500"),  # half-open: 13:00 is out
    (ny(13, 14, 59, 59), Status.NEXT_TODAY, None, "2023-12-13-1500"),
    (ny(13, 15), Status.IN_SESSION, "2023-12-13-1500", "2023-12-14-1000"),
    (ny(13, 18), Status.DONE_TODAY, None, "2023-12-14-1000"),
    (ny(13, 18, 30), Status.DONE_TODAY, None, "2023-12-14-1000"),
    (ny(13, 23, 59, 59), Status.DONE_TODAY, None, "2023-12-14-1000"),
    # Thursday, just after midnight: the next slot is today now.
    (ny(14, 0), Status.NEXT_TODAY, None, "2023-12-14-1000"),
    # Friday afternoon, and the end of the session.
    (ny(15, 17, 59), Status.IN_SESSION, "2023-12-15-1500", None),
    (ny(15, 18), Status.SESSION_CLOSED, None, None),
    (ny(15, 22), Status.SESSION_CLOSED, None, None),
    (ny(20, 12), Status.SESSION_CLOSED, None, None),
]


@pytest.mark.parametrize(
    ("instant", "status", "current", "upcoming"), CASES, ids=[c[0].isoformat() for c in CASES]
)
def test_status_at(
    week: Programme, instant: datetime, status: Status, current: str | None, upcoming: str | None
) -> None:
    state = screen_state(week, instant)
    assert state.status is status
    assert ids(state) == (current, upcoming)
    assert state.day == instant.astimezone(NY).date()


def test_today_lists_the_venue_days_slots(week: Programme) -> None:
    state = screen_state(week, ny(13, 11))
    assert [s.id for s in state.today] == ["2023-12-13-1000", "2023-12-13-1500"]
    assert screen_state(week, ny(10, 12)).today == ()
    assert screen_state(week, ny(16, 12)).today == ()


def test_the_day_is_the_venues_not_utcs(week: Programme) -> None:
    # 02:00 UTC on Thursday is still Wednesday evening in New York.
    state = screen_state(week, datetime(2023, 12, 14, 2, 0, tzinfo=UTC))
    assert state.day == date(2023, 12, 13)
    assert state.status is Status.DONE_TODAY
    assert [s.id for s in state.today] == ["2023-12-13-1000", "2023-12-13-1500"]
    # The same instant written with another offset gives the same state.
    assert screen_state(week, datetime(2023, 12, 14, 3, 0, tzinfo=ZoneInfo("Europe/Zurich"))) == (
        state
    )


@pytest.mark.parametrize(
    ("instant", "change"),
    [
        (ny(13, 11), ny(13, 13)),  # the slot ends
        (ny(13, 13), ny(13, 15)),  # strictly after: 13:00 itself is not a change from 13:00
        (ny(13, 12, 59, 59, 999999), ny(13, 13)),
        (ny(13, 15), ny(13, 18)),
        (ny(13, 18, 30), ny(14, 0)),  # local midnight comes before Thursday's first slot
        (ny(13, 23, 59, 59), ny(14, 0)),
        (ny(14, 0), ny(14, 10)),
        (ny(10, 12), ny(11, 0)),  # the day before the session: its midnight
        (ny(15, 17), ny(15, 18)),  # the last slot ends
        (ny(15, 18), ny(16, 0)),  # the day after the session still begins on screen
    ],
)
def test_next_screen_change(week: Programme, instant: datetime, change: datetime) -> None:
    assert next_screen_change(week, instant) == change


def test_no_more_changes_once_the_day_after_the_session_has_begun(week: Programme) -> None:
    assert next_screen_change(week, ny(16, 0)) is None
    assert next_screen_change(week, ny(20, 9)) is None


def test_the_state_only_changes_at_the_changes_it_announces(week: Programme) -> None:
    """Walk the whole week change by change; between two announced changes, every sampled
    instant (each minute) shows the same state as the change that began the interval."""
    t = ny(10, 0)
    changes = 0
    while (change := next_screen_change(week, t)) is not None:
        assert change > t
        state = screen_state(week, t)
        probe = t
        while probe < change:
            assert screen_state(week, probe) == state, probe
            probe += timedelta(minutes=1)
        assert screen_state(week, change - timedelta(microseconds=1)) == state
        t = change
        changes += 1
    # 10 slots × (start, end) + midnights of 11–16 December.
    assert changes == 20 + 6
    assert screen_state(week, t).status is Status.SESSION_CLOSED


def slot(start: datetime, hours: int) -> Slot:
    return Slot(start, start + timedelta(hours=hours), f"Meeting {start:%d %H:%M}")


@pytest.fixture(scope="module")
def november() -> Programme:
    """A session across the end of daylight saving time in New York (Sunday 5 November 2023,
    2 a.m. EDT becomes 1 a.m. EST)."""
    return Programme(
        title="Across the autumn change",
        session="Test session",
        venue="New York",
        timezone="America/New_York",
        start_date=date(2023, 11, 3),
        end_date=date(2023, 11, 6),
        slots=(
            slot(datetime(2023, 11, 3, 10, tzinfo=NY), 3),
            slot(datetime(2023, 11, 6, 10, tzinfo=NY), 3),
        ),
    )


def test_midnights_across_the_autumn_change(november: Programme) -> None:
    sat = datetime(2023, 11, 4, 0, tzinfo=NY)
    sun = next_screen_change(november, sat)
    assert sun == datetime(2023, 11, 5, 0, tzinfo=NY)
    assert sun - sat == timedelta(hours=24)
    mon = next_screen_change(november, sun)
    assert mon is not None
    assert mon.astimezone(NY).replace(tzinfo=None) == datetime(2023, 11, 6, 0)
    # Sunday, the day of the change, lasts 25 hours.
    assert mon.astimezone(UTC) - sun.astimezone(UTC) == timedelta(hours=25)
    assert mon.astimezone(UTC) == datetime(2023, 11, 6, 5, tzinfo=UTC)


def test_slot_times_follow_the_offset_of_their_day(november: Programme) -> None:
    friday, monday = november.slots
    assert friday.start.astimezone(UTC).hour == 14  # EDT, UTC-4
    assert monday.start.astimezone(UTC).hour == 15  # EST, UTC-5
    # An hour after the repeated 1 a.m., and all Sunday: nothing today, Monday next.
    for hour_utc in (6, 7, 12, 23):
        state = screen_state(november, datetime(2023, 11, 5, hour_utc, tzinfo=UTC))
        assert state.day == date(2023, 11, 5)
        assert state.status is Status.NO_MEETING_TODAY
        assert state.next is not None
        assert state.next.id == monday.id
    # 04:30 UTC on Monday is still Sunday 23:30 in New York (EST).
    assert screen_state(november, datetime(2023, 11, 6, 4, 30, tzinfo=UTC)).day == date(2023, 11, 5)
    assert screen_state(november, datetime(2023, 11, 6, 5, 0, tzinfo=UTC)).status is (
        Status.NEXT_TODAY
    )


def test_midnight_skipped_by_a_spring_change_becomes_the_first_hour_of_the_day() -> None:
    """In Santiago, on 3 September 2023, the clocks went from 00:00 straight to 01:00."""
    programme = Programme(
        title="Across the spring change",
        session="Test session",
        venue="Santiago",
        timezone="America/Santiago",
        start_date=date(2023, 9, 1),
        end_date=date(2023, 9, 4),
        slots=(
            slot(datetime(2023, 9, 1, 10, tzinfo=SANTIAGO), 3),
            slot(datetime(2023, 9, 4, 10, tzinfo=SANTIAGO), 3),
        ),
    )
    sat = datetime(2023, 9, 2, 0, tzinfo=SANTIAGO)
    sun = next_screen_change(programme, datetime(2023, 9, 2, 20, tzinfo=SANTIAGO))
    assert sun is not None
    local = sun.astimezone(SANTIAGO)
    assert (local.date(), local.hour) == (date(2023, 9, 3), 1)
    assert sun.astimezone(UTC) - sat.astimezone(UTC) == timedelta(hours=24)  # a 24-hour Saturday
    mon = next_screen_change(programme, sun)
    assert mon is not None
    assert mon.astimezone(UTC) - sun.astimezone(UTC) == timedelta(hours=23)  # a 23-hour Sunday
    assert screen_state(programme, sun).day == date(2023, 9, 3)
