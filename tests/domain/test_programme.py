"""The questions every screen asks of a programme: what is on now, what is next, and when the
answer can change; checked against brute force over generated programmes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.domain.programme import (
    Footnote,
    ParseWarning,
    Programme,
    ProgrammeError,
    Slot,
    first_overlap,
    local_instant,
)

NY = ZoneInfo("America/New_York")
ZONES = ["America/New_York", "Europe/Zurich", "Africa/Nairobi", "America/Santiago", "UTC"]
# A Saturday before the November change in New York: generated programmes cross it.
BASE = datetime(2024, 11, 2, 6, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def u(instant: datetime) -> datetime:
    """In UTC: datetimes that share a tzinfo compare and subtract as wall clocks, which the
    repeated hour of an autumn night makes wrong; the checks below compare instants."""
    return instant.astimezone(UTC)


@st.composite
def programmes(draw: st.DrawFn) -> Programme:
    """Non-overlapping slots, some back to back, some with gaps, over a few days."""
    count = draw(st.integers(min_value=0, max_value=8))
    at = BASE + timedelta(minutes=draw(st.integers(0, 600)))
    slots = []
    for n in range(count):
        at += timedelta(minutes=draw(st.sampled_from([0, 0, 1, 15, 60, 600, 1440])))
        length = timedelta(minutes=draw(st.integers(min_value=1, max_value=240)))
        slots.append(Slot(start=at, end=at + length, title=f"Slot {n}"))
        at += length
    order = draw(st.permutations(range(count)))  # the programme sorts them
    return Programme(
        title="Generated",
        session="",
        venue="Somewhere",
        timezone=draw(st.sampled_from(ZONES)),
        start_date=date(2024, 11, 1),
        end_date=date(2024, 11, 30),
        slots=tuple(slots[i] for i in order),
    )


@st.composite
def instants(draw: st.DrawFn, programme: Programme) -> datetime:
    """Any instant near the programme, often exactly on a boundary or a microsecond off one."""
    boundaries = [u(t) for s in programme.slots for t in (s.start, s.end)]
    if boundaries and draw(st.booleans()):
        at = draw(st.sampled_from(boundaries)) + draw(st.sampled_from([-TICK, 0 * TICK, TICK]))
    else:
        at = BASE + timedelta(seconds=draw(st.integers(-86_400, 20 * 86_400)))
    zone = draw(st.sampled_from([UTC, NY, programme.tz, ZoneInfo("Asia/Tokyo")]))
    return at.astimezone(zone)


@settings(max_examples=200)
@given(data=st.data())
def test_now_and_next_agree_with_brute_force(data: st.DataObject) -> None:
    programme = data.draw(programmes())
    slots = programme.slots
    assert [s.start for s in slots] == sorted(s.start for s in slots)
    for _ in range(5):
        instant = data.draw(instants(programme))

        current = programme.slot_at(instant)
        containing = [s for s in slots if u(s.start) <= u(instant) < u(s.end)]
        assert len(containing) <= 1
        assert current == (containing[0] if containing else None)
        if current is not None:
            assert u(current.start) <= u(instant) < u(current.end)

        upcoming = programme.next_slot(instant)
        later = [s for s in slots if u(s.start) > u(instant)]
        if upcoming is None:
            assert later == []
        else:
            assert u(upcoming.start) > u(instant)
            # none skipped: no slot starts strictly between now and the next one
            assert not [s for s in slots if u(instant) < u(s.start) < u(upcoming.start)]
            assert upcoming is min(later, key=lambda s: u(s.start))

        change = programme.next_change_after(instant)
        after = [u(t) for s in slots for t in (s.start, s.end) if u(t) > u(instant)]
        assert (u(change) if change else None) == (min(after) if after else None)
        if change is not None:
            assert change.utcoffset() == change.astimezone(programme.tz).utcoffset()
            # nothing changes before it
            just_before = u(change) - TICK
            if just_before > u(instant):
                assert programme.slot_at(just_before) == current
                assert programme.next_slot(just_before) == upcoming


@settings(max_examples=200)
@given(programme=programmes())
def test_an_end_belongs_to_no_slot_unless_another_starts_then(programme: Programme) -> None:
    for slot in programme.slots:
        assert programme.slot_at(slot.start) is slot
        assert programme.slot_at(u(slot.start) - TICK) is not slot
        assert programme.slot_at(u(slot.end) - TICK) is slot
        following = [s for s in programme.slots if u(s.start) == u(slot.end)]
        assert programme.slot_at(slot.end) is (following[0] if following else None)
        change = programme.next_change_after(slot.start)
        assert change is not None
        assert u(change) <= u(slot.end)


@settings(max_examples=200)
@given(programme=programmes())
def test_slots_keep_the_venue_offset(programme: Programme) -> None:
    for slot in programme.slots:
        assert slot.start.utcoffset() == slot.start.astimezone(programme.tz).utcoffset()
        assert slot.end.utcoffset() == slot.end.astimezone(programme.tz).utcoffset()
        # A fixed offset, never the zone: datetimes sharing a ZoneInfo compare as wall clocks.
        assert not isinstance(slot.start.tzinfo, ZoneInfo)
        assert not isinstance(slot.end.tzinfo, ZoneInfo)
    by_day = [s for day in {s.local_date for s in programme.slots} for s in programme.slots_on(day)]
    assert sorted(by_day, key=lambda s: s.start) == list(programme.slots)


def slot(day: int, start: int, end: int, title: str = "x", tz: ZoneInfo = NY) -> Slot:
    return Slot(
        start=datetime(2023, 12, day, start, tzinfo=tz),
        end=datetime(2023, 12, day, end, tzinfo=tz),
        title=title,
    )


@pytest.fixture
def week() -> Programme:
    return Programme(
        title="T",
        session="S",
        venue="New York",
        timezone="America/New_York",
        start_date=date(2023, 12, 11),
        end_date=date(2023, 12, 15),
        slots=(slot(13, 15, 18, "afternoon"), slot(13, 10, 13, "morning"), slot(14, 10, 13)),
    )


def test_examples(week: Programme) -> None:
    morning, afternoon, thursday = week.slots
    assert (morning.title, afternoon.title) == ("morning", "afternoon")
    assert morning.id == "2023-12-13-1000"
    assert week.slot_at(datetime(2023, 12, 13, 14, 59, 30, tzinfo=NY)) is None
    assert week.next_slot(datetime(2023, 12, 13, 14, 59, 30, tzinfo=NY)) == afternoon
    assert week.slot_at(datetime(2023, 12, 13, 20, 0, tzinfo=UTC)) == afternoon  # 15:00 NY
    assert week.next_slot(datetime(2023, 12, 13, 15, 0, tzinfo=NY)) == thursday
    assert week.slot_at(datetime(2023, 12, 13, 13, 0, tzinfo=NY)) is None
    assert week.next_change_after(datetime(2023, 12, 13, 13, 0, tzinfo=NY)) == afternoon.start
    assert week.next_change_after(datetime(2023, 12, 14, 13, 0, tzinfo=NY)) is None
    assert week.next_slot(datetime(2023, 12, 14, 10, 0, tzinfo=NY)) is None
    assert week.slots_on(date(2023, 12, 13)) == (morning, afternoon)
    assert week.slots_on(date(2023, 12, 15)) == ()
    assert list(week.days()) == [date(2023, 12, d) for d in range(11, 16)]
    assert week.slot_by_id("2023-12-14-1000") == thursday
    assert week.slot_by_id("2023-12-14-1100") is None


def test_naive_instants_are_refused(week: Programme) -> None:
    naive = datetime(2023, 12, 13, 15, 0)
    for query in (week.slot_at, week.next_slot, week.next_change_after):
        with pytest.raises(ValueError, match="timezone-aware"):
            query(naive)


def test_slots_on_uses_the_venue_calendar() -> None:
    """A slot at 8 p.m. in New York is on the 13th there, though on the 14th in UTC."""
    evening = slot(13, 20, 22)
    p = Programme(
        "T",
        "",
        "New York",
        "America/New_York",
        date(2023, 12, 13),
        date(2023, 12, 14),
        (Slot(evening.start.astimezone(UTC), evening.end.astimezone(UTC), "e"),),
    )
    assert p.slots_on(date(2023, 12, 13)) == p.slots
    assert p.slots_on(date(2023, 12, 14)) == ()
    assert p.slots[0].id == "2023-12-13-2000"


def test_invalid_programmes_and_slots() -> None:
    with pytest.raises(ValueError, match="overlap"):
        Programme(
            "T",
            "",
            "V",
            "UTC",
            date(2023, 12, 13),
            date(2023, 12, 13),
            (slot(13, 10, 13), slot(13, 12, 15)),
        )
    with pytest.raises(ValueError, match="end on or after"):
        Programme("T", "", "V", "UTC", date(2023, 12, 13), date(2023, 12, 12))
    with pytest.raises(KeyError):
        Programme("T", "", "V", "Mars/Olympus_Mons", date(2023, 12, 13), date(2023, 12, 13))
    with pytest.raises(ValueError, match="end after it starts"):
        slot(13, 13, 13)
    with pytest.raises(ValueError, match="unknown slot kind"):
        Slot(slot(13, 10, 13).start, slot(13, 10, 13).end, "x", kind="plenary")
    with pytest.raises(ValueError, match="timezone-aware"):
        Slot(datetime(2023, 12, 13, 10), datetime(2023, 12, 13, 11), "x")


def test_first_overlap() -> None:
    assert first_overlap([slot(13, 10, 13), slot(13, 13, 15)]) is None  # back to back
    assert first_overlap([slot(13, 10, 13), slot(14, 10, 13), slot(13, 12, 14)]) == (0, 2)
    assert first_overlap([slot(13, 10, 18), slot(13, 12, 13)]) == (0, 1)  # one inside another


def test_footnotes_once_in_citation_order() -> None:
    one, two = Footnote("1", "first"), Footnote("2", "second")
    a = Slot(slot(13, 10, 13).start, slot(13, 10, 13).end, "a", footnotes=(two,))
    b = Slot(slot(14, 10, 13).start, slot(14, 10, 13).end, "b", footnotes=(one, two))
    p = Programme("T", "", "V", "America/New_York", date(2023, 12, 13), date(2023, 12, 14), (b, a))
    assert p.footnotes() == (two, one)


def test_local_instant_across_daylight_saving() -> None:
    before = local_instant(date(2024, 11, 1), time(10), NY)
    after = local_instant(date(2024, 11, 4), time(10), NY)
    assert before.utcoffset() == timedelta(hours=-4)
    assert after.utcoffset() == timedelta(hours=-5)
    # (aware datetimes of one zone subtract as wall clocks: compare the instants in UTC)
    assert after.astimezone(UTC) - before.astimezone(UTC) == timedelta(days=3, hours=1)
    # The repeated hour of the autumn night is its first occurrence.
    repeated = local_instant(date(2024, 11, 3), time(1, 30), NY)
    assert repeated.astimezone(UTC) == datetime(2024, 11, 3, 5, 30, tzinfo=UTC)
    # The skipped hour of the spring night does not exist.
    with pytest.raises(
        ValueError, match="02:30 on 10 March 2024 does not exist in America/New_York"
    ):
        local_instant(date(2024, 3, 10), time(2, 30), NY)
    zurich = ZoneInfo("Europe/Zurich")
    with pytest.raises(ValueError, match="does not exist in Europe/Zurich"):
        local_instant(date(2024, 3, 31), time(2, 15), zurich)
    assert local_instant(date(2024, 3, 31), time(3), zurich).utcoffset() == timedelta(hours=2)


def test_local_instant_at_the_ends_of_the_calendar() -> None:
    """Year 1 east of Greenwich and year 9999 west of it are beyond UTC's calendar: a
    ValueError like any other impossible time, not an OverflowError."""
    with pytest.raises(ValueError, match="out of range"):
        local_instant(date(1, 1, 1), time(0, 30), ZoneInfo("Africa/Nairobi"))
    with pytest.raises(ValueError, match="out of range"):
        local_instant(date(9999, 12, 31), time(23), NY)


def test_error_and_warning_text() -> None:
    assert str(ProgrammeError("a.txt", 12, "bad")) == "a.txt:12: bad"
    assert str(ProgrammeError("a.txt", None, "bad")) == "a.txt: bad"
    assert str(ParseWarning("a.txt", 57, "guess")) == "a.txt:57: warning: guess"


def test_the_repeated_autumn_hour() -> None:
    """1:30 a.m. happens twice in New York on 3 November 2024; an instant given in the venue's
    own zone (as ``datetime.now(tz)`` gives it) is compared as an instant, not a wall clock."""
    first = Slot(
        datetime(2024, 11, 3, 5, 0, tzinfo=UTC), datetime(2024, 11, 3, 5, 45, tzinfo=UTC), "a"
    )
    # 1:30 EDT to 1:15 EST: wall clocks run backwards, but it lasts 45 minutes
    second = Slot(
        datetime(2024, 11, 3, 5, 30, tzinfo=UTC) + timedelta(minutes=30),
        datetime(2024, 11, 3, 6, 15, tzinfo=UTC),
        "b",
    )
    p = Programme(
        "T",
        "",
        "New York",
        "America/New_York",
        date(2024, 11, 1),
        date(2024, 11, 4),
        (second, first),
    )
    a, b = p.slots
    assert (a.title, b.title) == ("a", "b")
    assert (b.start.fold, b.start.hour, b.end.hour, b.end.minute) == (1, 1, 1, 15)
    later = datetime(2024, 11, 3, 1, 30, fold=1, tzinfo=NY)  # 6:30 UTC, after both
    assert p.slot_at(later) is None
    assert p.next_slot(later) is None
    assert p.next_change_after(later) is None
    earlier = datetime(2024, 11, 3, 1, 30, tzinfo=NY)  # 5:30 UTC, in the first
    assert p.slot_at(earlier) is a
    assert p.next_slot(earlier) is b
    change = p.next_change_after(earlier)
    # (PEP 495: an instant of the repeated hour never equals one of another zone; compare UTC)
    assert change is not None
    assert u(change) == datetime(2024, 11, 3, 5, 45, tzinfo=UTC)
    assert p.slot_at(datetime(2024, 11, 3, 1, 10, fold=1, tzinfo=NY)) is b
    assert not b.contains(datetime(2024, 11, 3, 1, 10, tzinfo=NY))
    assert first_overlap([second, Slot(b.start, b.end, "same")]) == (0, 1)
