"""Instants compared as instants across both daylight-saving changes (issue 9, item 6).

Python compares and subtracts two datetimes that share one tzinfo object as wall clocks,
ignoring ``fold``: with a ``ZoneInfo``, 1.20 a.m. EST (after the clocks went back) reads as
"before" 1.50 a.m. EDT, and adding an hour across the change is off by one.  Plans, states and
overrides must come out right on the nights the clocks change, whatever zone the instants
handed in carry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.domain.overrides import Override, OverrideError
from dashboard.domain.plan import Planned, plan_room
from dashboard.domain.programme import Programme, Slot
from dashboard.domain.requests import build_override
from dashboard.domain.timeline import screen_state

NY = ZoneInfo("America/New_York")
# The clocks go back at 2 a.m. EDT (06:00 UTC) on 5 November 2023, and forward at 2 a.m. EST
# (07:00 UTC) on 12 March 2023.
FALL = datetime(2023, 11, 5, 6, tzinfo=UTC)
SPRING = datetime(2023, 3, 12, 7, tzinfo=UTC)


def utc(hour: int, minute: int = 0, day: datetime = FALL) -> datetime:
    return day.replace(hour=hour, minute=minute)


def night(slots: list[tuple[datetime, datetime]], around: datetime = FALL) -> Programme:
    day = around.astimezone(NY).date()
    return Programme(
        title="Night sitting",
        session="",
        venue="New York",
        timezone="America/New_York",
        start_date=day - timedelta(days=1),
        end_date=day + timedelta(days=1),
        slots=tuple(Slot(s, e, f"Meeting {i}") for i, (s, e) in enumerate(slots)),
    )


def make(programme: Programme, now: datetime, existing: list[Override], **body: Any) -> Override:
    made = build_override(
        {"room": "r", **body},
        id=f"o{len(existing)}",
        author="alice",
        now=now,
        programmes={"r": programme},
        room_names={},
        allowed_rooms=None,
        existing=existing,
    )
    existing.append(made)
    return made


# 01:00–01:50 EDT, then 01:10–01:55 EST: the same wall-clock hour, twice.
FIRST_PASS = (utc(5, 0), utc(5, 50))
SECOND_PASS = (utc(6, 10), utc(6, 55))


def test_a_meeting_in_the_first_one_thirty_is_over_in_the_second() -> None:
    programme = night([FIRST_PASS, SECOND_PASS])
    # 01:52 EST: the second meeting is under way (the first, "01:00–01:50", is an hour past).
    at = utc(6, 52).astimezone(NY)
    state = screen_state(programme, at, [], "r")
    assert state.current is not None and state.current.title == "Meeting 1"
    # 01:05 EST, between the two: the first is over, the second is next.
    between = utc(6, 5).astimezone(NY)
    state = screen_state(programme, between, [], "r")
    assert state.current is None
    assert state.next is not None and state.next.title == "Meeting 1"


def test_extend_is_refused_when_the_meeting_ended_an_hour_ago_by_the_clock() -> None:
    """At 01:20 EST, the 01:00–01:50 EDT meeting is over: nothing is under way."""
    programme = night([FIRST_PASS])
    with pytest.raises(OverrideError, match="no meeting is under way"):
        make(programme, utc(6, 20), [], kind="extend", until="2023-11-05T01:40-05:00")


def test_late_across_the_change_is_exact() -> None:
    programme = night([(utc(5, 0), utc(7, 30))])  # 01:00 EDT – 02:30 EST
    existing: list[Override] = []
    make(programme, utc(4, 50), existing, kind="late", minutes=60)
    plan = plan_room("r", {"r": programme}, existing, utc(4, 55))
    assert plan.slots[0].start == utc(6, 0)  # 01:00 EST: an hour later, not two
    assert plan.slots[0].start.astimezone(NY).strftime("%H:%M %Z") == "01:00 EST"
    assert plan.slots[0].late_minutes == 60


def test_an_effective_instant_in_the_second_pass_is_honoured() -> None:
    programme = night([(utc(4, 0), utc(8, 0))])  # 00:00 EDT – 03:00 EST
    existing: list[Override] = []
    made = make(
        programme,
        utc(5, 10),
        existing,
        kind="pointer",
        text="Item 5",
        effective="2023-11-05T01:15-05:00",
    )
    assert made.effective == utc(6, 15)
    # Not in force at 01:40 EDT (which is "after 01:15" by the wall clock), but at 01:20 EST.
    assert screen_state(programme, utc(5, 40), existing, "r").current.pointer == ""  # type: ignore[union-attr]
    assert screen_state(programme, utc(6, 20), existing, "r").current.pointer == "Item 5"  # type: ignore[union-attr]


def test_an_expiry_in_the_first_pass_is_not_in_the_past_during_the_second() -> None:
    """Expiring at 01:30 EDT: in the past when sent at 01:10 EST (which reads as "before 01:30"
    by the wall clock), and valid when sent at 01:10 EDT."""
    programme = night([(utc(4, 0), utc(8, 0))])
    existing: list[Override] = []
    with pytest.raises(OverrideError, match="in the past"):
        make(
            programme,
            utc(6, 10),
            existing,
            kind="announce",
            text="x",
            expires="2023-11-05T01:30-04:00",
        )
    made = make(
        programme, utc(5, 10), existing, kind="announce", text="x", expires="2023-11-05T01:30-04:00"
    )
    assert made.expires == utc(5, 30)


# --- properties across both changes ------------------------------------------------------------


@st.composite
def nights(draw: st.DrawFn) -> tuple[Programme, list[tuple[int, int]]]:
    """A programme of back-to-back or spaced meetings over one of the two nights, in UTC
    minutes from 23:00 local the evening before."""
    change = draw(st.sampled_from([FALL, SPRING]))
    base = change - timedelta(hours=3)
    at = 0
    slots: list[tuple[datetime, datetime]] = []
    for _ in range(draw(st.integers(1, 6))):
        at += draw(st.integers(0, 40))
        length = draw(st.integers(10, 90))
        slots.append((base + timedelta(minutes=at), base + timedelta(minutes=at + length)))
        at += length
    delays = draw(
        st.lists(st.tuples(st.integers(0, len(slots) - 1), st.integers(1, 120)), max_size=3)
    )
    return night(slots, change), delays


def _all_instants(p: Planned) -> list[datetime]:
    return [p.start, p.end, p.scheduled_start, p.scheduled_end]


@settings(max_examples=300, deadline=None)
@given(data=nights(), probe=st.integers(-60, 600))
def test_plans_and_states_agree_with_utc_arithmetic(
    data: tuple[Programme, list[tuple[int, int]]], probe: int
) -> None:
    programme, delays = data
    first = programme.slots[0].start
    existing: list[Override] = []
    sent = first - timedelta(hours=1)
    for index, minutes in delays:
        slot = programme.slots[index]
        if slot.start + timedelta(minutes=minutes) >= slot.end:
            continue
        make(programme, sent, existing, kind="late", minutes=minutes, slot=slot.id)
    instant = (first + timedelta(minutes=probe)).astimezone(NY)  # a ZoneInfo instant on purpose
    plan = plan_room("r", {"r": programme}, existing, instant)
    latest = {o.slot_in("r"): o.minutes for o in existing}
    u = lambda t: t.astimezone(UTC)  # noqa: E731
    for p in plan.slots:
        # Every instant reads as the venue's wall clock, with a fixed offset (never the zone).
        for t in _all_instants(p):
            assert not isinstance(t.tzinfo, ZoneInfo)
            assert t.utcoffset() == t.astimezone(NY).utcoffset()
        # A delay is exact in elapsed time, and the latest one counts.
        minutes = latest.get(p.id)
        if minutes is not None and p.start == p.scheduled_start + timedelta(minutes=minutes):
            assert u(p.start) - u(p.scheduled_start) == timedelta(minutes=minutes)
        assert u(p.start) >= u(p.scheduled_start)
        assert u(p.start) < u(p.end)
    # Ordered by the instant they start; no two meetings under way at once.
    assert [u(p.start) for p in plan.slots] == sorted(u(p.start) for p in plan.slots)
    for a, b in zip(plan.slots, plan.slots[1:], strict=False):
        assert u(a.end) <= u(b.start) or not (a.takes_place and b.takes_place)
    # What the screen says is what UTC arithmetic says.
    state = screen_state(programme, instant, existing, "r")
    under_way = [p for p in plan.slots if u(p.start) <= u(instant) < u(p.end)]
    assert (state.current.id if state.current else None) == (under_way[0].id if under_way else None)
    later = [p for p in plan.slots if u(p.start) > u(instant)]
    assert (state.next.id if state.next else None) == (later[0].id if later else None)
    assert state.day == instant.astimezone(NY).date()


def test_the_local_day_of_a_slot_in_the_repeated_hour() -> None:
    programme = night([SECOND_PASS])
    assert programme.slots[0].start.date() == date(2023, 11, 5)
    assert programme.slots[0].start.strftime("%H:%M") == "01:10"
