"""A revised programme compared with the running one, meeting by meeting: a revision's slots
are first matched with the running ones (``identity.carry_ids``), then compared by id.  Checked
over generated revisions (every meeting is accounted for once, unchanged ones are not reported,
a meeting's id stays unique); a whole week moved is moved, not removed and added; overrides
left without their slot."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.domain.identity import carry_ids
from dashboard.domain.overrides import Override, OverrideKind
from dashboard.domain.programme import Programme, Slot
from dashboard.domain.revision import diff_programmes, orphaned_overrides

MONDAY = datetime(2024, 3, 25, 8, 0, tzinfo=UTC)
TEXTS = ["Opening", "Agenda item 5", "Agenda item 5", "Side event", "Closing"]


def programme(slots: list[Slot]) -> Programme:
    return Programme(
        "T", "", "Geneva", "Europe/Zurich", date(2024, 3, 25), date(2024, 3, 29), tuple(slots)
    )


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


def _text(slot: Slot) -> tuple[str, tuple[str, ...]]:
    return slot.title, slot.details


@settings(max_examples=500)
@given(old=slots(), new=slots())
def test_every_meeting_is_accounted_for_once(old: list[Slot], new: list[Slot]) -> None:
    before = programme(old)
    after = carry_ids(before.slots, programme(new))
    diff = diff_programmes(before, after)
    old_ids, new_ids = {s.id for s in before.slots}, {s.id for s in after.slots}
    assert len(new_ids) == len(after.slots)  # unique
    kept = old_ids & new_ids
    assert {s.id for s in diff.removed} == old_ids - kept
    assert {s.id for s in diff.added} == new_ids - kept
    assert all(m.before.id == m.after.id and m.before.start != m.after.start for m in diff.moved)
    assert {m.after.id for m in diff.moved} <= kept and {s.id for s in diff.changed} <= kept
    # A meeting printed again at the same time with the same text is the same, unreported.
    for slot in after.slots:
        same = [
            s
            for s in before.slots
            if (s.start, s.end, _text(s)) == (slot.start, slot.end, _text(slot))
        ]
        if same:
            assert slot.id in kept
            assert slot.id not in {m.after.id for m in diff.moved}
            assert slot.id not in {s.id for s in diff.changed}
    # Nothing is matched twice: as many meetings kept as pairs made.
    assert len(kept) == len(diff.moved) + len(diff.changed) - len(
        {m.after.id for m in diff.moved} & {s.id for s in diff.changed}
    ) + sum(
        1
        for s in after.slots
        if s.id in kept
        and s.id not in {m.after.id for m in diff.moved}
        and s.id not in {c.id for c in diff.changed}
    )


def test_a_whole_week_moved_an_hour_later() -> None:
    old = [
        Slot(MONDAY + timedelta(hours=3 * n), MONDAY + timedelta(hours=3 * n + 2), f"Meeting {n}")
        for n in range(30)
    ]
    later = [
        replace(s, start=s.start + timedelta(hours=1), end=s.end + timedelta(hours=1)) for s in old
    ]
    before = programme(old)
    diff = diff_programmes(before, carry_ids(before.slots, programme(later)))
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
