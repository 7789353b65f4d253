"""A meeting keeps its identity across revisions (issue 9, item 5), and ids are unique.

A revised note has no ids: its slots are matched against the programme they replace (same time
and text; the same text elsewhere; the same start; a similar text the same day), and a matched
slot keeps its id, so its overrides follow it and the secretariat sees it as moved or changed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dashboard.domain.identity import carry_ids, from_snapshot, match_slots, snapshot
from dashboard.domain.loader import load_programme
from dashboard.domain.overrides import Override, OverrideKind
from dashboard.domain.programme import Programme, ProgrammeError, Slot
from dashboard.domain.revision import diff_programmes, orphaned_overrides
from dashboard.domain.toml_format import from_toml, to_toml
from tests.conftest import SHIPPED_NOTE

NY = ZoneInfo("America/New_York")
NOTE = SHIPPED_NOTE.read_text(encoding="utf-8")
WEEK = load_programme(NOTE.encode(), "x.txt").programme
PM = "2023-12-13-1500"


def revised(text: str) -> Programme:
    return carry_ids(WEEK.slots, load_programme(text.encode(), "revised.txt").programme)


def test_an_unchanged_programme_keeps_every_id_and_differs_in_nothing() -> None:
    again = revised(NOTE)
    assert [s.id for s in again.slots] == [s.id for s in WEEK.slots]
    assert diff_programmes(WEEK, again).empty


def test_a_meeting_moved_keeps_its_id_and_its_overrides() -> None:
    later = revised(NOTE.replace("3–6 p.m.\tDedicated", "4–6 p.m.\tDedicated"))
    moved = later.slot_by_id(PM)
    assert moved is not None and moved.start == datetime(2023, 12, 13, 16, tzinfo=NY)
    diff = diff_programmes(WEEK, later)
    assert [(m.before.id, m.after.id) for m in diff.moved] == [(PM, PM)]
    assert (diff.added, diff.removed, diff.changed) == ((), (), ())
    closed = Override("c", OverrideKind.CLOSED, ("cr4",), "a", _t(), _t(), slots=(("cr4", PM),))
    assert orphaned_overrides([closed], {"cr4": later}, _t()) == []


def test_a_meeting_moved_and_reworded_keeps_its_id() -> None:
    text = NOTE.replace(
        "3–6 p.m.\tDedicated stakeholder session",
        "4–6 p.m.\tDedicated stakeholder session, with the Chair",
    )
    later = revised(text)
    moved = later.slot_by_id(PM)
    assert moved is not None
    assert moved.start.hour == 16 and "with the Chair" in moved.title
    diff = diff_programmes(WEEK, later)
    assert [m.after.id for m in diff.moved] == [PM]
    assert [s.id for s in diff.changed] == [PM]
    assert (diff.added, diff.removed) == ((), ())


def test_a_reworded_meeting_at_its_time_keeps_its_id() -> None:
    later = revised(NOTE.replace("Dedicated stakeholder session", "Informal stakeholder dialogue"))
    diff = diff_programmes(WEEK, later)
    assert [s.id for s in diff.changed] == [PM]
    assert (diff.moved, diff.added, diff.removed) == ((), (), ())


def test_a_new_meeting_at_a_moved_meetings_old_time_gets_an_id_of_its_own() -> None:
    text = NOTE.replace(
        "3–6 p.m.\tDedicated",
        "3–4 p.m.\tBriefing by the Secretariat\n4–6 p.m.\tDedicated",
    )
    later = revised(text)
    ids = [s.id for s in later.slots]
    assert len(ids) == len(set(ids))
    briefing = next(s for s in later.slots if s.title == "Briefing by the Secretariat")
    assert briefing.id != PM and briefing.id.startswith(PM)
    assert later.slot_by_id(PM).start.hour == 16  # type: ignore[union-attr]
    diff = diff_programmes(WEEK, later)
    assert [s.id for s in diff.added] == [briefing.id]


def test_a_removed_meeting_orphans_its_overrides() -> None:
    lines = NOTE.splitlines(keepends=True)
    gone = "".join(line for line in lines if not line.startswith("3–6 p.m.\tDedicated"))
    later = revised(gone)
    assert later.slot_by_id(PM) is None
    assert [s.id for s in diff_programmes(WEEK, later).removed] == [PM]


def test_a_recurring_text_is_matched_to_the_nearest_time() -> None:
    a = _slot(10, "Agenda item 5")
    b = _slot(34, "Agenda item 5")  # the next day
    moved = _slot(11, "Agenda item 5")
    assert match_slots([a, b], [moved, b]) == {0: 0, 1: 1}


def test_matching_carries_through_successive_revisions() -> None:
    first = revised(NOTE.replace("3–6 p.m.\tDedicated", "4–6 p.m.\tDedicated"))
    second_text = NOTE.replace("3–6 p.m.\tDedicated", "4.30–6 p.m.\tDedicated")
    second = carry_ids(first.slots, load_programme(second_text.encode(), "r2.txt").programme)
    assert second.slot_by_id(PM).start.minute == 30  # type: ignore[union-attr]
    # After a restart: matched against the stored snapshot.
    again = carry_ids(
        from_snapshot(snapshot(second.slots)),
        load_programme(second_text.encode(), "r2.txt").programme,
    )
    assert [s.id for s in again.slots] == [s.id for s in second.slots]


# --- unique ids --------------------------------------------------------------------------------


def test_ids_are_unique_in_the_repeated_hour_of_an_autumn_night() -> None:
    first = datetime(2023, 11, 5, 5, 30, tzinfo=UTC)  # 01:30 EDT
    second = datetime(2023, 11, 5, 6, 30, tzinfo=UTC)  # 01:30 EST
    programme = Programme(
        "T",
        "",
        "New York",
        "America/New_York",
        first.date(),
        first.date(),
        (
            Slot(first, first + timedelta(minutes=50), "A"),
            Slot(second, second + timedelta(minutes=50), "B"),
        ),
    )
    assert [s.id for s in programme.slots] == ["2023-11-05-0130", "2023-11-05-0130-0630Z"]


def test_a_toml_programme_may_name_its_ids_and_they_are_kept() -> None:
    toml = to_toml(WEEK).replace(
        "date = 2023-12-13\nstart = 15:00:00",
        'id = "stakeholders"\ndate = 2023-12-13\nstart = 15:00:00',
    )
    programme = from_toml(toml, "p.toml")
    assert programme.slot_by_id("stakeholders") is not None
    # A revision moving it (and matching nothing else) keeps the given id.
    moved = from_toml(
        toml.replace(
            'start = 15:00:00\nend = 18:00:00\ntitle = "Dedicated',
            'start = 16:00:00\nend = 18:00:00\ntitle = "Dedicated',
        ),
        "p.toml",
    )
    kept = carry_ids(programme.slots, moved)
    assert kept.slot_by_id("stakeholders").start.hour == 16  # type: ignore[union-attr]
    # Written back only where the id is not the default one.
    assert to_toml(kept).count("\nid = ") == 1


@pytest.mark.parametrize(
    ("slot_id", "problem"),
    [
        ("a b", "letters, digits"),
        ("x" * 65, "letters, digits"),
        ("2023-12-11-1000", "from its start"),
    ],
)
def test_a_bad_or_repeated_toml_id_is_refused_with_its_line(slot_id: str, problem: str) -> None:
    toml = to_toml(WEEK)
    second = toml.index("[[slots]]", toml.index("[[slots]]") + 1)
    toml = toml[:second] + f'[[slots]]\nid = "{slot_id}"' + toml[second + len("[[slots]]") :]
    with pytest.raises(ProgrammeError) as info:
        from_toml(toml, "p.toml")
    assert problem in str(info.value) and "slots[1].id" in str(info.value)
    assert info.value.line is not None


def _t() -> datetime:
    return datetime(2023, 12, 13, 11, tzinfo=NY)


def _slot(hour: int, title: str) -> Slot:
    start = datetime(2023, 12, 13, tzinfo=NY) + timedelta(hours=hour)
    return Slot(start, start + timedelta(minutes=50), title)
