"""A revised programme compared with the running one, by slot id and then by text: checked
against the plain definition (every slot gone paired with the first slot come that has its
text, in order) over generated revisions; overrides left without their slot."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.domain.overrides import Override, OverrideKind
from dashboard.domain.programme import Programme, Slot
from dashboard.domain.revision import Moved, ProgrammeDiff, diff_programmes, orphaned_overrides

MONDAY = datetime(2024, 3, 25, 8, 0, tzinfo=UTC)
TEXTS = ["Opening", "Agenda item 5", "Agenda item 5", "Side event", "Closing"]


def programme(slots: list[Slot]) -> Programme:
    return Programme(
        "T", "", "Geneva", "Europe/Zurich", date(2024, 3, 25), date(2024, 3, 29), tuple(slots)
    )


def brute_force(old: Programme, new: Programme) -> ProgrammeDiff:
    """The definition, as first written: a scan of the slots come for each slot gone."""
    old_by_id = {s.id: s for s in old.slots}
    new_by_id = {s.id: s for s in new.slots}
    gone = [s for s in old.slots if s.id not in new_by_id]
    came = [s for s in new.slots if s.id not in old_by_id]
    moved = []
    for slot in list(gone):
        twin = next((s for s in came if (s.title, s.details) == (slot.title, slot.details)), None)
        if twin is not None:
            moved.append(Moved(slot, twin))
            gone.remove(slot)
            came.remove(twin)
    changed = tuple(
        new_by_id[i] for i in old_by_id if i in new_by_id and old_by_id[i] != new_by_id[i]
    )
    header = (old.title, old.venue, old.timezone, old.start_date, old.end_date)
    new_header = (new.title, new.venue, new.timezone, new.start_date, new.end_date)
    return ProgrammeDiff(tuple(came), tuple(gone), tuple(moved), changed, header != new_header)


@st.composite
def slots(draw: st.DrawFn) -> list[Slot]:
    """Hour-long slots on some of 40 hours of the week, with texts that repeat."""
    hours = draw(st.lists(st.integers(0, 39), unique=True, max_size=14))
    return [
        Slot(
            MONDAY + timedelta(hours=h),
            MONDAY + timedelta(hours=h + 1),
            draw(st.sampled_from(TEXTS)),
            details=draw(st.sampled_from([(), ("continued",)])),
        )
        for h in hours
    ]


@settings(max_examples=500)
@given(old=slots(), new=slots())
def test_the_diff_agrees_with_the_definition(old: list[Slot], new: list[Slot]) -> None:
    before, after = programme(old), programme(new)
    assert diff_programmes(before, after) == brute_force(before, after)


def test_a_whole_week_moved_an_hour_later() -> None:
    old = [
        Slot(MONDAY + timedelta(hours=3 * n), MONDAY + timedelta(hours=3 * n + 2), f"Meeting {n}")
        for n in range(30)
    ]
    later = [
        replace(s, start=s.start + timedelta(hours=1), end=s.end + timedelta(hours=1)) for s in old
    ]
    diff = diff_programmes(programme(old), programme(later))
    assert (diff.added, diff.removed, diff.changed) == ((), (), ())
    assert [(m.before.title, m.after.title) for m in diff.moved] == [
        (s.title, s.title) for s in old
    ]


def test_overrides_left_without_their_slot() -> None:
    week = programme(
        [
            Slot(MONDAY + timedelta(hours=1), MONDAY + timedelta(hours=4), "Morning"),
            Slot(MONDAY + timedelta(hours=6), MONDAY + timedelta(hours=9), "Afternoon"),
        ]
    )
    morning, afternoon = week.slots  # (ids in the venue's time: "2024-03-25-1000")

    def cancel(room: str, slot: Slot, n: int) -> Override:
        return Override(
            f"o{n}", OverrideKind.CANCEL, (room,), "sec", MONDAY, MONDAY, slots=((room, slot.id),)
        )

    overrides = [cancel("cr4", morning, 1), cancel("cr4", afternoon, 2), cancel("cr9", morning, 3)]
    assert orphaned_overrides(overrides, {"cr4": week, "cr9": week}, MONDAY) == []
    revised = {"cr4": replace(week, slots=(morning,))}  # the afternoon is gone, and cr9
    assert [o.id for o in orphaned_overrides(overrides, revised, MONDAY)] == ["o2", "o3"]
