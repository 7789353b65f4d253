"""Overlapping slots are found with one sort, not a scan per slot, and still reported as reading
in order would meet them: the first slot that overlaps one above it, and the first of those it
overlaps, with both lines (note) or both slots (TOML) named.  Checked against brute force, and
on generated notes of thousands of slots (tests/_notes.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.domain.note_parser import parse_note
from dashboard.domain.programme import ProgrammeError, Slot, first_overlap
from dashboard.domain.toml_format import from_toml, to_toml
from tests._notes import SLOTS_PER_DAY, generated_note

NY = ZoneInfo("America/New_York")
# 1:00 a.m. EDT on 3 November 2024: the hour that New York's clocks then repeat is within reach.
AUTUMN = datetime(2024, 11, 3, 5, 0, tzinfo=UTC)


def brute_force(slots: Sequence[Slot]) -> tuple[int, int] | None:
    """The definition: every pair, in order, compared as instants."""
    for j, b in enumerate(slots):
        for i in range(j):
            a = slots[i]
            if a.start.astimezone(UTC) < b.end.astimezone(UTC) and b.start.astimezone(
                UTC
            ) < a.end.astimezone(UTC):
                return i, j
    return None


@st.composite
def slot_lists(draw: st.DrawFn) -> list[Slot]:
    """A few slots around the autumn change, often touching, sometimes overlapping; in New
    York's zone (one ZoneInfo, so that a wall-clock comparison would go wrong) or in UTC."""
    slots = []
    for n in range(draw(st.integers(0, 12))):
        start = AUTUMN + timedelta(minutes=15 * draw(st.integers(-8, 16)))
        length = timedelta(minutes=15 * draw(st.integers(1, 8)))
        zone = draw(st.sampled_from([NY, NY, UTC]))
        slots.append(Slot(start.astimezone(zone), (start + length).astimezone(zone), f"s{n}"))
    return slots


@settings(max_examples=500)
@given(slots=slot_lists())
def test_first_overlap_agrees_with_brute_force(slots: list[Slot]) -> None:
    assert first_overlap(slots) == brute_force(slots)


def test_the_repeated_hour_is_compared_as_instants() -> None:
    # 1:30–1:50 a.m. EDT, then 1:10–1:40 a.m. EST: by the wall clock they overlap, but the
    # second starts 40 minutes after the first ends.
    first = Slot(
        datetime(2024, 11, 3, 1, 30, tzinfo=NY), datetime(2024, 11, 3, 1, 50, tzinfo=NY), "a"
    )
    second = Slot(
        datetime(2024, 11, 3, 1, 10, fold=1, tzinfo=NY),
        datetime(2024, 11, 3, 1, 40, fold=1, tzinfo=NY),
        "b",
    )
    assert first_overlap([first, second]) is None
    # 1:45 a.m. EDT to 1:05 a.m. EST (20 minutes) does overlap the first.
    third = Slot(
        datetime(2024, 11, 3, 1, 45, tzinfo=NY), datetime(2024, 11, 3, 1, 5, fold=1, tzinfo=NY), "c"
    )
    assert first_overlap([first, second, third]) == (0, 2)


def day_line(note: str, day: date) -> int:
    """The line number of the header of ``day`` in a generated note."""
    lines = note.splitlines()
    return lines.index(f"{day:%A}, {day.day} {day:%B}\t") + 1


def slot_line(note: str, day: date, times: str) -> int:
    lines = note.splitlines()
    start = day_line(note, day)
    return next(n for n in range(start, len(lines)) if lines[n].startswith(times + "\t")) + 1


def without_text(lines: list[str], line: int) -> None:
    """The slot at ``line`` keeps its time range only: its text and continuations go, so it
    has no text (the lines below keep their numbers: the continuations become blank)."""
    lines[line - 1] = lines[line - 1].split("\t")[0]
    n = line
    while lines[n].startswith("\t"):
        lines[n] = ""
        n += 1


def test_a_generated_note_of_2000_slots_reads_whole() -> None:
    note = generated_note(2000)
    result = parse_note(note, "big.txt")
    programme = result.programme
    assert result.warnings == ()
    assert len(programme.slots) == 2000
    assert programme.start_date == date(2024, 1, 8)
    # Weekdays only, ten slots a day; New York's spring change falls on 10 March 2024.
    assert {s.start.weekday() for s in programme.slots} == {0, 1, 2, 3, 4}
    offsets = {s.start.utcoffset() for s in programme.slots}
    assert offsets == {timedelta(hours=-5), timedelta(hours=-4)}
    assert [s.title for s in programme.slots[:SLOTS_PER_DAY]][
        4
    ] == "Side event on capacity-building"
    assert programme.slots[4].footnotes[0].marker == "1"
    assert from_toml(to_toml(programme), "big.toml") == programme


def test_an_overlap_in_a_long_note_names_both_lines() -> None:
    note = generated_note(2000)
    day = date(2024, 9, 3)  # late in the note
    # The 3–4 p.m. slot of that day becomes 2.15–4 p.m.: it overlaps 1.15–2.30 p.m.
    lines = note.splitlines()
    at = slot_line(note, day, "3–4 p.m.")
    lines[at - 1] = lines[at - 1].replace("3–4 p.m.", "2.15–4 p.m.", 1)
    with pytest.raises(ProgrammeError) as caught:
        parse_note("\n".join(lines), "big.txt")
    error = caught.value
    assert error.line == at
    other = slot_line(note, day, "1.15–2.30 p.m.")
    assert error.message == (
        f"this slot overlaps the one at line {other} (Tuesday 03 September, 13:15–14:30)"
    )


def test_the_first_problem_in_the_file_is_the_one_reported() -> None:
    note = generated_note(300)
    lines = note.splitlines()
    first_day, second_day = date(2024, 1, 8), date(2024, 1, 9)
    overlap = slot_line(note, first_day, "9.00–10.00")
    lines[overlap - 1] = lines[overlap - 1].replace("9.00–10.00", "8.30–10.00", 1)
    # Further down, a slot with no text: refused too, but after the overlap above it.
    without_text(lines, slot_line(note, second_day, "3–4 p.m."))
    with pytest.raises(ProgrammeError) as caught:
        parse_note("\n".join(lines), "note.txt")
    assert caught.value.line == overlap
    assert "overlaps the one at line" in caught.value.message
    # The other way round: the empty slot above, the overlap below.
    lines = note.splitlines()
    empty = slot_line(note, first_day, "3–4 p.m.")
    without_text(lines, empty)
    overlap = slot_line(note, second_day, "9.00–10.00")
    lines[overlap - 1] = lines[overlap - 1].replace("9.00–10.00", "8.30–10.00", 1)
    with pytest.raises(ProgrammeError) as caught:
        parse_note("\n".join(lines), "note.txt")
    assert (caught.value.line, caught.value.message) == (empty, "a time slot with no text")


TOML_SLOT = """
[[slots]]
date = 2024-03-{day}
start = {start}:00:00
end = {end}:00:00
title = "Slot {n}"
"""
TOML_HEAD = """format = 1
title = "Committee X"
venue = "Geneva"
timezone = "Europe/Zurich"
start_date = 2024-03-25
end_date = 2024-03-29
"""


def toml_with(slots: list[tuple[int, int, int]]) -> str:
    return TOML_HEAD + "".join(
        TOML_SLOT.format(day=d, start=f"{s:02d}", end=f"{e:02d}", n=n)
        for n, (d, s, e) in enumerate(slots)
    )


def test_toml_overlaps_name_both_slots_and_the_first_problem_wins() -> None:
    # slots[3] overlaps slots[0] and slots[2] (the first of those is named); slots[4] is
    # outside the session, further down.
    text = toml_with([(25, 10, 13), (26, 10, 13), (25, 15, 18), (25, 12, 16), (30, 10, 11)])
    slot_lines = [n + 1 for n, raw in enumerate(text.splitlines()) if raw == "[[slots]]"]
    with pytest.raises(ProgrammeError) as caught:
        from_toml(text, "p.toml")
    assert str(caught.value) == (
        f"p.toml:{slot_lines[3]}: slots[3]: overlaps slots[0] (2024-03-25-1000)"
    )
    # Without the overlap, the later problem is the one reported.
    fine = toml_with([(25, 10, 13), (26, 10, 13), (25, 15, 18), (27, 12, 16), (30, 10, 11)])
    with pytest.raises(ProgrammeError, match=r"slots\[4\]\.date: 2024-03-30 is outside"):
        from_toml(fine, "p.toml")
    # And the other way round: a problem above the overlap is the one reported.
    above = toml_with([(25, 10, 13), (30, 10, 11), (25, 15, 18), (25, 12, 16)])
    with pytest.raises(ProgrammeError, match=r"slots\[1\]\.date: 2024-03-30 is outside"):
        from_toml(above, "p.toml")
