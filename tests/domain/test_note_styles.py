"""Notes in the styles other UN bodies publish (issue 13), each an invented meeting in a real
layout (tests/notes/): read to the right slots, times, zones and agenda items; every line
accounted for; and the same programme back through the TOML format."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from dashboard.domain.note_lines import HalfDays
from dashboard.domain.note_parser import ParseResult, parse_note
from dashboard.domain.programme import Programme, ProgrammeError
from dashboard.domain.toml_format import from_toml, to_toml
from tests._notes import generated_note, generated_pdf_note
from tests.conftest import SHIPPED_NOTE

NOTES = Path(__file__).resolve().parent.parent / "notes"
STYLES = sorted(p.name for p in NOTES.glob("*.txt"))


def read(name: str) -> ParseResult:
    return parse_note((NOTES / name).read_text(encoding="utf-8"), name)


def spans(p: Programme) -> list[tuple[str, str, str]]:
    """(start, end, title) of each slot, local to the venue."""
    return [(s.start.isoformat(), s.end.time().isoformat("minutes"), s.title) for s in p.slots]


@pytest.mark.parametrize("name", [*STYLES, "shipped"])
def test_round_trip_through_toml(name: str) -> None:
    text = SHIPPED_NOTE.read_text(encoding="utf-8") if name == "shipped" else None
    p = (parse_note(text, name) if text else read(name)).programme
    again = from_toml(to_toml(p), "again.toml")
    assert again == p
    assert [s.end_estimated for s in again.slots] == [s.end_estimated for s in p.slots]
    assert to_toml(again) == to_toml(p)


@pytest.mark.parametrize("name", [*STYLES, "shipped"])
def test_every_line_is_accounted_for(name: str) -> None:
    path = SHIPPED_NOTE if name == "shipped" else NOTES / name
    text = path.read_text(encoding="utf-8")
    result = parse_note(text, name)
    lines = text.split("\n")
    read_lines = [r.line for r in result.readings]
    assert read_lines == [i + 1 for i, raw in enumerate(lines) if raw.strip()]
    ignored = {r.line for r in result.readings if r.kind == "ignored"}
    assert ignored <= {w.line for w in result.warnings}


def test_the_shipped_note_reads_its_preamble_as_heading_and_furniture() -> None:
    result = parse_note(SHIPPED_NOTE.read_text(encoding="utf-8"), "shipped")
    kinds = {r.line: r.kind for r in result.readings}
    assert kinds[5] == kinds[7] == "furniture"  # Distr.: General ..., Original: English
    assert kinds[9] == "heading"
    assert kinds[15] == "heading"  # "1. The sixth substantive session ..."
    assert kinds[27] == "furniture"  # Annex
    assert "ignored" not in kinds.values()


def test_pdf_text_without_tabs() -> None:
    result = read("pdf-no-tabs-new-york.txt")
    p = result.programme
    assert p.title == (
        "Preparatory Committee established by General Assembly resolution 99/123 on an "
        "invented instrument"
    )
    assert (p.session, p.venue, p.timezone) == ("Third session", "New York", "America/New_York")
    assert (p.start_date, p.end_date) == (date(2017, 3, 27), date(2017, 4, 7))
    assert spans(p) == [
        ("2017-03-27T10:00:00-04:00", "13:00", "Opening of the session (item 1)"),
        ("2017-03-27T15:00:00-04:00", "16:30", "General exchange of views"),
        ("2017-03-27T16:30:00-04:00", "18:00", "Informal working group on marine examples"),
        ("2017-03-28T10:00:00-04:00", "11:30", "Item 6 (continued)"),
        ("2017-03-28T11:30:00-04:00", "13:00", "Items 3–5"),
        # A time alone on its line: the name is on the next; the end is the half-day's.
        ("2017-03-28T15:00:00-04:00", "18:00", "Briefing by the Secretariat on invented matters"),
        # "10 a.m. Opening ...": once refused as "0 a.m. is not a time of day".
        ("2017-03-29T10:00:00-04:00", "12:00", "Opening of the informal consultations"),
        ("2017-03-29T12:00:00-04:00", "13:00", "Press briefing"),
    ]
    opening, views, _, item6, items, *_ = p.slots
    # Unindented continuations, a blank line inside the cell.
    assert opening.details == (
        "Election of officers (item 2)",
        "Adoption of the agenda",
        "and organization of work (items 3 and 4)",
    )
    assert opening.agenda_items == ("1", "2", "3", "4")
    assert views.agenda_items == ("5",)
    assert item6.agenda_items == ("6",)
    assert items.agenda_items == ("3", "4", "5")
    assert [s.kind for s in p.slots] == [
        "opening", "meeting", "informal", "meeting", "closed", "briefing", "informal", "briefing",
    ]  # fmt: skip
    assert [s.end_estimated for s in p.slots] == [False] * 5 + [True] * 3
    kinds = {r.line: r.kind for r in result.readings}
    # The symbol block, the job number and its bar code, the running head, "Page 2 of 3".
    assert [kinds[n] for n in (4, 5, 6, 7, 26, 27, 28, 29)] == ["furniture"] * 8
    assert [str(w) for w in result.warnings] == [
        "pdf-no-tabs-new-york.txt:1: warning: ignored above the title: 'Skip to main content'",
        "pdf-no-tabs-new-york.txt:2: warning: ignored above the title: 'Search the documents'",
        "pdf-no-tabs-new-york.txt:34: warning: no end printed for the meeting at 15:00 on 28 "
        "March: read as until about 18:00 (the end of the half-day)",
        "pdf-no-tabs-new-york.txt:37: warning: no end printed for the meeting at 10:00 on 29 "
        "March: read as until about 12:00 (the next meeting's start)",
        "pdf-no-tabs-new-york.txt:38: warning: no end printed for the meeting at 12:00 on 29 "
        "March: read as until about 13:00 (the end of the half-day)",
    ]


def test_geneva_capitals_periods_and_item_column() -> None:
    result = read("geneva-capitals.txt")
    p = result.programme
    assert (p.title, p.session) == (
        "Human Rights Council Advisory Example Body",
        "Fifteenth Session",
    )
    assert (p.venue, p.timezone) == ("Geneva", "Europe/Zurich")
    assert (p.start_date, p.end_date) == (date(2016, 2, 29), date(2016, 3, 24))
    assert spans(p) == [
        ("2016-03-07T10:00:00+01:00", "12:00", "ITEM 2 - Oral update by the Invented Commissioner"),
        ("2016-03-07T12:00:00+01:00", "13:00", "Item 3 (continued)"),
        ("2016-03-07T15:00:00+01:00", "18:00", "Provisions on invented topics"),
        ("2016-03-08T10:00:00+01:00", "13:00", "Side event on invented cooperation"),
        ("2016-03-08T13:15:00+01:00", "14:30", "Informal consultations on draft resolution L.99"),
        ("2016-03-08T18:00:00+01:00", "21:00", "Stakeholder session"),
    ]
    assert [s.agenda_items for s in p.slots[:3]] == [("2",), ("3",), ("6",)]
    assert (p.slots[0].details, p.slots[0].room) == ((), "Room XX")  # a room, not a detail
    assert [s.kind for s in p.slots[3:]] == ["side_event", "informal", "stakeholder"]
    kinds = {r.line: r.kind for r in result.readings}
    assert [kinds[n] for n in (8, 12, 17, 19, 21)] == ["period"] * 5
    assert kinds[15] == kinds[16] == "day"  # "TUESDAY," / "8 March"
    assert [(w.line, w.message[:40]) for w in result.warnings] == [
        (18, "no end printed for the meeting at 10:00 "),
    ]


def test_rome_two_days_in_one_heading_and_a_holiday() -> None:
    p = read("rome-fao.txt").programme
    assert (p.venue, p.timezone, p.session) == ("Rome", "Europe/Rome", "Thirty-ninth session")
    assert spans(p) == [
        ("2024-07-01T00:00:00+02:00", "00:00", "Official United Nations holiday"),
        ("2024-07-02T10:30:00+02:00", "13:00", "Plenary on agenda item 4"),
        ("2024-07-02T15:00:00+02:00", "18:00", "Plenary on agenda item 4"),
        ("2024-07-04T09:30:00+02:00", "12:30", "Items 7 to 9: invented reports"),
        ("2024-07-04T14:30:00+02:00", "17:30", "Item 10 (continued)"),
        ("2024-07-05T09:30:00+02:00", "12:30", "Items 7 to 9: invented reports"),
        ("2024-07-05T14:30:00+02:00", "17:30", "Item 10 (continued)"),
    ]
    holiday = p.slots[0]
    assert holiday.kind == "holiday"
    assert holiday.end.date() == date(2024, 7, 2)  # the whole day, to midnight
    assert p.slots[3].agenda_items == ("7", "8", "9")


def test_ecosoc_substantive_session_of_a_year() -> None:
    p = read("ecosoc-1997.txt").programme
    assert (p.title, p.session, p.venue) == (
        "Economic and Social Council",
        "Substantive session of 1997",
        "Geneva",
    )
    # "10 a.m." then "noon": the first ends where the next begins.
    assert spans(p)[:2] == [
        ("1997-06-30T10:00:00+02:00", "12:00", "Opening of the substantive session"),
        ("1997-06-30T12:00:00+02:00", "13:00", "Briefing on invented coordination"),
    ]


def test_the_default_end_is_configurable() -> None:
    text = (NOTES / "ecosoc-1997.txt").read_text(encoding="utf-8").replace("noon\t", "2 p.m.\t")
    p = parse_note(text, "n.txt", half_days=HalfDays((time(14, 30), time(12, 30)))).programme
    assert [s.end.time() for s in p.slots[:2]] == [time(12, 30), time(14, 30)]


@pytest.mark.parametrize(
    ("heading", "message"),
    [
        ("MONDAY,\nNo date here", "text outside any time slot"),
        ("Monday, 30 June and Tuesday, 2 July", "2 July 1997 is a Wednesday, not a Tuesday"),
    ],
)
def test_bad_day_headings(heading: str, message: str) -> None:
    text = "Council Substantive session of 1997\nGeneva, 30 June–25 July 1997\n\n"
    text += f"Monday, 30 June\n10 a.m.–1 p.m.\tA\nLUNCH\n{heading}\n3–6 p.m.\tB\n"
    with pytest.raises(ProgrammeError) as caught:
        parse_note(text, "n.txt")
    assert message in caught.value.message
    assert caught.value.line == 7


def test_the_generated_pdf_note_reads_like_the_tabbed_one() -> None:
    """bench/parse_styles.py's note: the same sessions' meetings as the tabbed generator's."""
    pdf = parse_note(generated_pdf_note(57), "pdf.txt")
    tabbed = parse_note(generated_note(57), "tabbed.txt").programme
    assert {w.message[:16] for w in pdf.warnings} == {"no end printed f"}
    assert len(pdf.warnings) == sum(s.end_estimated for s in pdf.programme.slots)
    assert len(pdf.programme.slots) == 57
    assert [s.start for s in pdf.programme.slots] == [s.start for s in tabbed.slots]
    estimated = [s for s in pdf.programme.slots if s.end_estimated]
    assert {s.start.time() for s in estimated} == {time(10), time(12), time(16), time(18)}
    assert {(s.start.time(), s.end.time()) for s in estimated} == {
        (time(10), time(11)),  # the next meeting's start
        (time(12), time(13)),  # the end of the morning
        (time(16), time(17)),
        (time(18), time(21)),  # the end of the evening
    }
    assert "ignored" not in {r.kind for r in pdf.readings}
    assert {r.kind for r in pdf.readings} == {
        "heading", "furniture", "day", "period", "slot", "detail",
    }  # fmt: skip


def test_an_order_of_the_day() -> None:
    """One day's programme: a single date, the day's heading with its year, periods, rooms."""
    result = read("order-of-the-day.txt")
    p = result.programme
    assert (p.title, p.session, p.venue) == (
        "Invented Rights Council",
        "Fifty-eighth session",
        "Geneva",
    )
    assert p.start_date == p.end_date == date(2025, 3, 3)
    assert spans(p) == [
        ("2025-03-03T10:00:00+01:00", "13:00", "Item 4: interactive dialogue with the Invented "
         "Rapporteur"),
        ("2025-03-03T15:00:00+01:00", "18:00", "Item 4 (continued)"),
    ]  # fmt: skip
    dialogue, continued = p.slots
    assert (dialogue.room, dialogue.kind, dialogue.agenda_items) == ("Room XX", "meeting", ("4",))
    # The kind from a later line; the room from its own line.
    assert (continued.room, continued.kind, continued.details) == (
        "Conference Room 2",
        "closed",
        ("Closed meeting",),
    )
    kinds = {r.line: r.kind for r in result.readings}
    assert kinds[5] == "heading"  # ORDER OF THE DAY
    assert [kinds[n] for n in (9, 13)] == ["period", "period"]


def test_a_day_heading_with_its_first_slot_or_its_reason_on_one_line() -> None:
    text = (
        "Council X First session Geneva, 2–6 June 2025\n\n"
        "Monday, 2 June 10 a.m. Opening of the session\n3–6 p.m.\tGeneral debate\n"
        "Tuesday, 3 June Official holiday\n"
        "Wednesday, 4 June – 9.00 – 12.00 Item 5\n"
    )
    result = parse_note(text, "n.txt")
    assert [
        (s.start.date().day, s.start.hour, s.title, s.kind) for s in result.programme.slots
    ] == [
        (2, 10, "Opening of the session", "opening"),
        (2, 15, "General debate", "meeting"),
        (3, 0, "Official holiday", "holiday"),
        (4, 9, "Item 5", "meeting"),
    ]
    readings = {r.line: (r.kind, r.text) for r in result.readings}
    assert readings[3] == ("day", "Monday 2 June 2025; then 10:00–~13:00 Opening of the session")
    assert readings[5] == ("day", "Tuesday 3 June 2025: Official holiday")
    assert readings[6] == ("day", "Wednesday 4 June 2025; then 09:00–12:00 Item 5")
