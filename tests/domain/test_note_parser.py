"""Reading programme-of-work notes: the shipped one exactly, the variants other notes use, and
every kind of bad input refused with the file and the line."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from dashboard.domain.note_parser import ParseResult, parse_note
from dashboard.domain.programme import Footnote, Programme, ProgrammeError
from tests.conftest import SHARED_NOTE, SHIPPED_NOTE

NY = ZoneInfo("America/New_York")
FOOTNOTE_1 = (
    "States are strongly encouraged to use their interventions under each sub-item of agenda "
    "item 5 to focus on the specific topics and discussion points identified for follow-up in "
    "the working group's second annual progress report (A/78/265)."
)
FOOTNOTE_2 = (
    "See https://documents.unoda.org/wp-content/uploads/2022/04/"
    "Letter-from-OEWG-Chair-22-April-2022.pdf."
)


def parse(text: str, timezone: str | None = None) -> ParseResult:
    return parse_note(text, "note.txt", timezone)


def one_programme(text: str, timezone: str | None = None) -> Programme:
    result = parse(text, timezone)
    assert result.warnings == ()
    return result.programme


def refused(text: str, timezone: str | None = None) -> ProgrammeError:
    with pytest.raises(ProgrammeError) as caught:
        parse(text, timezone)
    assert caught.value.source == "note.txt"
    return caught.value


def local(programme: Programme, index: int) -> tuple[str, str]:
    slot = programme.slots[index]
    return slot.start.isoformat(), slot.end.isoformat()


# ---------------------------------------------------------------------------------------------
# The shipped note


@pytest.fixture(scope="module")
def shipped() -> ParseResult:
    return parse_note(SHIPPED_NOTE.read_text(encoding="utf-8"), str(SHIPPED_NOTE))


def test_shipped_note_is_the_shared_one() -> None:
    if SHARED_NOTE.exists():
        assert SHARED_NOTE.read_bytes() == SHIPPED_NOTE.read_bytes()


def test_shipped_header(shipped: ParseResult) -> None:
    p = shipped.programme
    assert p.title == (
        "Open-ended working group on security of and in the use of information and "
        "communications technologies 2021–2025"
    )
    assert p.session == "Sixth substantive session"
    assert p.venue == "New York"
    assert p.timezone == "America/New_York"
    assert (p.start_date, p.end_date) == (date(2023, 12, 11), date(2023, 12, 15))


def test_shipped_slots(shipped: ParseResult) -> None:
    p = shipped.programme
    expected = []
    for day in range(11, 16):
        expected += [
            (f"2023-12-{day}T10:00:00-05:00", f"2023-12-{day}T13:00:00-05:00"),
            (f"2023-12-{day}T15:00:00-05:00", f"2023-12-{day}T18:00:00-05:00"),
        ]
    assert [local(p, i) for i in range(len(p.slots))] == expected
    assert [s.id for s in p.slots][:3] == ["2023-12-11-1000", "2023-12-11-1500", "2023-12-12-1000"]
    assert [s.agenda_items for s in p.slots] == [
        ("3",), ("5",), ("5",), ("5",), ("5",), (), ("5",), ("5",), ("6",), (),
    ]  # fmt: skip
    assert [s.kind for s in p.slots] == [
        "opening", "meeting", "meeting", "meeting", "meeting",
        "stakeholder", "meeting", "meeting", "meeting", "closing",
    ]  # fmt: skip
    assert p.slots[0].start.astimezone(UTC) == datetime(2023, 12, 11, 15, tzinfo=UTC)


def test_shipped_texts_and_footnotes(shipped: ParseResult) -> None:
    p = shipped.programme
    opening = p.slots[0]
    assert opening.title == "Opening of the session"
    assert opening.details == (
        "Opening statements",
        "• Director and Deputy to the Under-Secretary-General and High Representative for "
        "Disarmament Affairs",
        "• Chair of the open-ended working group on security of and in the use of information "
        "and communications technologies 2021–2025",
        "Agenda item 3: organization of work",
    )
    monday_pm = p.slots[1]
    assert monday_pm.title == (
        "Agenda item 5: discussions on substantive issues contained in paragraph 1 of General "
        "Assembly resolution 75/240"
    )  # the marker "¹" is gone from the text ...
    assert monday_pm.footnotes == (Footnote("1", FOOTNOTE_1),)  # ... and resolved to its text
    stakeholder = p.slots[5]
    assert stakeholder.title == (
        "Dedicated stakeholder session (in accordance with agreed modalities for the "
        "participation of stakeholders of 22 April 2022)"
    )
    assert stakeholder.footnotes == (Footnote("2", FOOTNOTE_2),)
    assert [s for s in p.slots if s.footnotes] == [monday_pm, stakeholder]
    assert p.slots[8].title == "Agenda item 6: other matters"
    assert p.slots[9].details == ("• Concluding remarks by the Chair",)
    assert p.footnotes() == (Footnote("1", FOOTNOTE_1), Footnote("2", FOOTNOTE_2))


def test_shipped_missing_dash_warning(shipped: ParseResult) -> None:
    assert len(shipped.warnings) == 1
    warning = shipped.warnings[0]
    assert warning.line == 57
    assert warning.source == str(SHIPPED_NOTE)
    assert "no dash between the times in '10 a.m1 p.m.'; read as 10:00–13:00" in warning.message
    assert str(warning).startswith(f"{SHIPPED_NOTE}:57: warning: ")


def test_line_endings_and_form_feeds_do_not_matter(shipped: ParseResult) -> None:
    text = SHIPPED_NOTE.read_text(encoding="utf-8")
    crlf = parse_note(text.replace("\n", "\r\n"), str(SHIPPED_NOTE))
    assert crlf.programme == shipped.programme
    assert [w.line for w in crlf.warnings] == [57]
    paged = parse_note(text.replace("Tuesday, 12", "\fTuesday, 12"), str(SHIPPED_NOTE))
    assert paged.programme == shipped.programme


# ---------------------------------------------------------------------------------------------
# Variants that other notes use

GENEVA_THREE_LINES = """\
Human Rights Council Advisory Committee
Thirty-second session
Geneva, 29 July–9 August 2024

Provisional programme of work

Monday, 29 July
10 a.m.–1 p.m.\tOpening of the session
\tAgenda items 6 and 7
Tuesday 30 July
1.15–2.30 p.m.\tSide event on follow-up to resolution 75/240 1
6.30–8 p.m.\tInformal consultations²
Thursday, August 1
noon to 3 p.m.\tClosed meeting
Friday, 2 August, 2024
10 a.m. to 12 noon\tAgenda item 3 (b)
3 - 6 p.m.\tClosure of the session

1 Organized by the Bureau
of the Committee.
² Interpretation not provided.
"""


def test_three_line_header_and_variants() -> None:
    p = one_programme(GENEVA_THREE_LINES)
    assert p.title == "Human Rights Council Advisory Committee"
    assert p.session == "Thirty-second session"
    assert p.venue == "Geneva"
    assert p.timezone == "Europe/Zurich"
    assert (p.start_date, p.end_date) == (date(2024, 7, 29), date(2024, 8, 9))
    assert [local(p, i) for i in range(len(p.slots))] == [
        ("2024-07-29T10:00:00+02:00", "2024-07-29T13:00:00+02:00"),
        ("2024-07-30T13:15:00+02:00", "2024-07-30T14:30:00+02:00"),  # lunchtime
        ("2024-07-30T18:30:00+02:00", "2024-07-30T20:00:00+02:00"),  # evening
        ("2024-08-01T12:00:00+02:00", "2024-08-01T15:00:00+02:00"),  # noon to 3 p.m.
        ("2024-08-02T10:00:00+02:00", "2024-08-02T12:00:00+02:00"),  # 10 a.m. to 12 noon
        ("2024-08-02T15:00:00+02:00", "2024-08-02T18:00:00+02:00"),
    ]
    opening, side, informal, closed, item3, closing = p.slots
    assert opening.agenda_items == ("6", "7")
    assert opening.details == ("Agenda items 6 and 7",)
    assert side.title == "Side event on follow-up to resolution 75/240"  # digit marker gone
    assert side.footnotes == (Footnote("1", "Organized by the Bureau of the Committee."),)
    assert informal.title == "Informal consultations"
    assert informal.footnotes == (Footnote("2", "Interpretation not provided."),)
    assert item3.agenda_items == ("3(b)",)
    assert (closed.title, closing.title) == ("Closed meeting", "Closure of the session")
    assert [s.kind for s in p.slots] == [
        "opening", "side_event", "informal", "closed", "meeting", "closing",
    ]  # fmt: skip


def test_digits_after_numbered_words_are_not_markers() -> None:
    """ "Agenda item 1" ends in a digit that a footnote "1" exists for: not a marker."""
    p = one_programme(
        "Committee X First session New York, 11–15 December 2023\n"
        "Monday, 11 December\n"
        "10 a.m.–1 p.m.\tAgenda item 1\n"
        "3–6 p.m.\tGeneral debate 1\n"
        "1 Webcast.\n"
    )
    assert p.slots[0].title == "Agenda item 1"
    assert p.slots[0].footnotes == ()
    assert p.slots[0].agenda_items == ("1",)
    assert p.slots[1].title == "General debate"
    assert p.slots[1].footnotes == (Footnote("1", "Webcast."),)


def test_a_marker_without_its_text_is_a_warning() -> None:
    result = parse(
        "Committee X First session New York, 11–15 December 2023\n"
        "Monday, 11 December\n"
        "10 a.m.–1 p.m.\tGeneral debate³\n"
    )
    assert [(w.line, w.message) for w in result.warnings] == [(3, "footnote 3 has no text")]
    assert result.programme.slots[0].title == "General debate"
    assert result.programme.slots[0].footnotes == ()


@pytest.mark.parametrize(
    ("day_header", "year"),
    [
        ("Monday, 11 December", 2023),
        ("Monday 11 December", 2023),
        ("Monday, 11 December 2023", 2023),
        ("Monday, 11 December, 2023", 2023),
        ("Monday, December 11", 2023),
        ("Monday December 11, 2023", 2023),
        ("MONDAY, 11 DECEMBER", 2023),
        ("Monday, 11 Dec.", 2023),
        ("Monday, 11 December\t", 2023),
    ],
)
def test_day_headers(day_header: str, year: int) -> None:
    p = one_programme(
        f"Committee X First session New York, 11–15 December 2023\n{day_header}\n"
        "10 a.m.–1 p.m.\tGeneral debate\n"
    )
    assert p.slots[0].start == datetime(year, 12, 11, 10, tzinfo=NY)


def test_a_session_across_the_new_year() -> None:
    p = one_programme(
        "Committee X First session Vienna, 30 December 2024 to 3 January 2025\n"
        "Monday, 30 December\n10 a.m.–1 p.m.\tA\n"
        "Thursday, 2 January\n10 a.m.–1 p.m.\tB\n"
    )
    assert [local(p, i)[0] for i in range(2)] == [
        "2024-12-30T10:00:00+01:00",
        "2025-01-02T10:00:00+01:00",
    ]


@pytest.mark.parametrize(
    ("venue_line", "zone", "offset"),
    [
        ("Vienna, 3–7 June 2024", "Europe/Vienna", "+02:00"),
        ("Nairobi, 3–7 June 2024", "Africa/Nairobi", "+03:00"),
        ("Bonn, 3–13 June 2024", "Europe/Berlin", "+02:00"),
        ("Headquarters, 3–7 June 2024", "America/New_York", "-04:00"),
        ("New York, 3–7 June 2024", "America/New_York", "-04:00"),
        ("Geneva (Palais des Nations), 3–7 June 2024", "Europe/Zurich", "+02:00"),
        ("Vienna International Centre, 3–7 June 2024", "Europe/Vienna", "+02:00"),
        ("Bangkok, 3–7 June 2024", "Asia/Bangkok", "+07:00"),
        ("Addis Ababa, 3–7 June 2024", "Africa/Addis_Ababa", "+03:00"),
        ("Santiago, 3–7 June 2024", "America/Santiago", "-04:00"),
        ("Beirut, 3–7 June 2024", "Asia/Beirut", "+03:00"),
        ("Rome (FAO), 3–7 June 2024", "Europe/Rome", "+02:00"),
        ("FAO Headquarters, 3–7 June 2024", "Europe/Rome", "+02:00"),
        ("Paris (UNESCO), 3–7 June 2024", "Europe/Paris", "+02:00"),
        ("The Hague, 3–7 June 2024", "Europe/Amsterdam", "+02:00"),
        ("Kingston (ISA), 3–7 June 2024", "America/Jamaica", "-05:00"),
        ("Montreal (ICAO), 3–7 June 2024", "America/Toronto", "-04:00"),
    ],
)
def test_venues_give_zones(venue_line: str, zone: str, offset: str) -> None:
    p = one_programme(
        f"Committee X\nFifth session\n{venue_line}\n\nMonday, 3 June\n10 a.m.–1 p.m.\tA\n"
    )
    assert p.timezone == zone
    assert p.session == "Fifth session"
    assert local(p, 0) == (f"2024-06-03T10:00:00{offset}", f"2024-06-03T13:00:00{offset}")


def test_timezone_override_for_an_unknown_venue() -> None:
    text = "Committee X First session Kuala Lumpur, 4–8 March 2024\n\nMonday, 4 March\n"
    text += "10 a.m.–1 p.m.\tAgenda items 3 to 5\n"
    error = refused(text)
    assert error.line == 1
    assert "unknown venue 'Kuala Lumpur'" in str(error)
    assert str(error).startswith("note.txt:1: ")
    p = one_programme(text, "Asia/Kuala_Lumpur")
    assert (p.venue, p.timezone) == ("Kuala Lumpur", "Asia/Kuala_Lumpur")
    assert local(p, 0) == ("2024-03-04T10:00:00+08:00", "2024-03-04T13:00:00+08:00")
    assert p.slots[0].agenda_items == ("3", "4", "5")
    # the override wins over a known venue too
    p = one_programme(text.replace("Kuala Lumpur", "Geneva"), "UTC")
    assert local(p, 0)[0] == "2024-03-04T10:00:00+00:00"
    error = refused(text, "Mars/Olympus_Mons")
    assert (error.line, error.message) == (1, "unknown time zone 'Mars/Olympus_Mons'")


# ---------------------------------------------------------------------------------------------
# Daylight saving


def test_new_york_across_the_november_change() -> None:
    p = one_programme(
        "Committee X\nSecond session\nNew York, 30 October–8 November 2024\n\n"
        "Friday, 1 November\n10 a.m.–1 p.m.\tBefore\n"
        "Sunday, 3 November\n1–3 a.m.\tThrough the change\n"
        "Monday, 4 November\n10 a.m.–1 p.m.\tAfter\n"
    )
    before, through, after = p.slots
    assert local(p, 0) == ("2024-11-01T10:00:00-04:00", "2024-11-01T13:00:00-04:00")
    assert local(p, 2) == ("2024-11-04T10:00:00-05:00", "2024-11-04T13:00:00-05:00")
    for slot in (before, after):
        assert slot.end.astimezone(UTC) - slot.start.astimezone(UTC) == timedelta(hours=3)
    # 1 a.m. EDT to 3 a.m. EST: the clocks fall back in between, so three hours pass
    assert local(p, 1) == ("2024-11-03T01:00:00-04:00", "2024-11-03T03:00:00-05:00")
    assert through.end.astimezone(UTC) - through.start.astimezone(UTC) == timedelta(hours=3)
    assert p.slot_at(datetime(2024, 11, 3, 6, 30, tzinfo=UTC)) == through  # 1:30 EST
    assert p.next_slot(datetime(2024, 11, 1, 13, tzinfo=NY)) == through


def test_geneva_across_the_october_change() -> None:
    p = one_programme(
        "Committee X\nSecond session\nGeneva, 21 October–1 November 2024\n\n"
        "Friday, 25 October\n3–6 p.m.\tBefore\nMonday, 28 October\n10 a.m.–1 p.m.\tAfter\n"
    )
    assert p.timezone == "Europe/Zurich"
    assert local(p, 0) == ("2024-10-25T15:00:00+02:00", "2024-10-25T18:00:00+02:00")
    assert local(p, 1) == ("2024-10-28T10:00:00+01:00", "2024-10-28T13:00:00+01:00")
    assert p.slots[1].start.astimezone(UTC) == datetime(2024, 10, 28, 9, tzinfo=UTC)


def test_a_slot_in_the_spring_forward_gap_is_refused() -> None:
    error = refused(
        "Committee X First session New York, 8–12 March 2024\n\n"
        "Friday, 8 March\n10 a.m.–1 p.m.\tFine\n"
        "Sunday, 10 March\n2.30–4 a.m.\tNever happens\n"
    )
    assert str(error) == "note.txt:6: 02:30 on 10 March 2024 does not exist in America/New_York"


def test_the_ends_of_the_calendar_are_refused_not_crashed() -> None:
    error = refused(
        "Committee X First session Nairobi, 1–2 January 0001\n\nMonday, 1 January\n"
        "00.30–01.00\tBefore the calendar begins in UTC\n"
    )
    assert error.line == 4
    assert "out of range" in error.message


# ---------------------------------------------------------------------------------------------
# Bad input: always the file, the line, and what is wrong

HEADER = "Committee X First session New York, 11–15 December 2023\n\n"  # lines 1-2


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        (  # end before start
            "Monday, 11 December\n10 a.m.–1 p.m.\tA\n3 p.m.–1 p.m.\tB\n",
            5,
            "the end is not after the start in '3 p.m.–1 p.m.'",
        ),
        ("Monday, 11 December\n10 a.m.–13.00\tA\n", 4, "missing a.m. or p.m."),
        (  # a day outside the session
            "Monday, 11 December\n10 a.m.–1 p.m.\tA\nMonday, 18 December\n10 a.m.–1 p.m.\tB\n",
            5,
            "'Monday, 18 December' is outside the session (11 December 2023–15 December 2023)",
        ),
        (  # overlapping slots
            "Monday, 11 December\n10 a.m.–1 p.m.\tA\n\tdetail\n12 noon–3 p.m.\tB\n",
            6,
            "this slot overlaps the one at line 4 (Monday 11 December, 10:00–13:00)",
        ),
        (  # text under a period label is no detail of the slot above it
            "Monday, 11 December\n10 a.m.–1 p.m.\tA\nLUNCH\nReception for delegates\n",
            6,
            "text outside any time slot: 'Reception for delegates'",
        ),
        ("Monday, 11 December\nReception for delegates\n", 4, "text outside any time slot"),
        (  # the bug of issue 13: "10 a.m. Opening" was "0 a.m. is not a time of day"
            "Monday, 11 December\n10 a.m. Opening\n11 p.m.\tToo late to guess an end\n",
            5,
            "a meeting at 23:00 without an end",
        ),
        ("Monday, 11 December\n13 p.m. Opening\n", 4, "13 p.m. is not a time of day"),
        (  # a time before the first day is never swallowed into the heading
            "10 a.m.–1 p.m.\tA\nMonday, 11 December\n10 a.m.–1 p.m.\tA\n",
            3,
            "a time slot before any day",
        ),
        (  # even an impossible one
            "3 p.m.–1 p.m.\tA\nMonday, 11 December\n10 a.m.–1 p.m.\tA\n",
            3,
            "a time slot before any day: '3 p.m.–1 p.m. A'",
        ),
        (  # a number in the preamble is no time; under a day, no slot either
            "28 delegations attended.\nMonday, 11 December\nDelegations: 28\n",
            5,
            "text outside any time slot: 'Delegations: 28'",
        ),
        (  # weekday that does not match the date
            "Monday, 11 December\n10 a.m.–1 p.m.\tA\nTuesday, 14 December\n",
            5,
            "14 December 2023 is a Thursday, not a Tuesday",
        ),
        ("Monday, 11 December\n\tOrphan text\n", 4, "text outside any time slot: 'Orphan text'"),
        ("Monday, 11 December\n10 a.m.–1 p.m.\n", 4, "a time slot with no text"),
        (
            "Monday, 11 December\n10 a.m.–1 p.m.\tA¹\n¹ One.\n¹ Again.\n",
            6,
            "footnote 1 is given twice",
        ),
    ],
)
def test_bad_annex(body: str, line: int, message: str) -> None:
    error = refused(HEADER + body)
    assert error.line == line
    assert message in error.message
    assert str(error).startswith(f"note.txt:{line}: ")


def test_the_31st_of_june() -> None:
    error = refused(
        "Committee X First session Geneva, 24 June–5 July 2024\n\n"
        "Monday, 24 June\n10 a.m.–1 p.m.\tA\nMonday, 31 June\n10 a.m.–1 p.m.\tB\n"
    )
    assert str(error) == "note.txt:5: 31 June 2024 is not a date"
    error = refused("Committee X First session Geneva, 31 June 2024\n\nMonday, 1 July\n")
    assert str(error) == "note.txt:1: 31 June 2024 is not a date"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "Committee X First session Atlantis, 11–15 December 2023\n\nMonday, 11 December\n",
            1,
            "unknown venue 'Atlantis'",
        ),
        (
            "Committee X\nFirst session\nNew York\n\nMonday, 11 December\n",
            1,
            "no venue and dates found before the first day",
        ),
        ("Committee X First session New York, 11–15 December 2023\n", 1, "no day found"),
        ("", 1, "no day found"),
        (
            "Committee X First session New York, 15–11 December 2023\n\nMonday, 11 December\n",
            1,
            "the session's last day is before its first",
        ),
        ("\n\n, 11–15 December 2023\nMonday, 11 December\n", 3, "no venue"),
    ],
)
def test_bad_header(text: str, line: int, message: str) -> None:
    error = refused(text)
    assert error.line == line
    assert message in error.message


def test_long_s_in_a_month_name_is_read_not_crashed() -> None:
    """ "ſ" matches "s" case-insensitively, as "ı" matches "i": such a month is still a month."""
    p = one_programme(
        "Committee X First session Geneva, 29 July–9 Auguſt 2024\n\n"
        "Friday, 2 Auguſt\n10 a.m.–1 p.m.\tA\nMonday, 29 July\n10 a.m.–1 p.m.\tB\n"
    )
    assert p.end_date == date(2024, 8, 9)
    assert p.slots[1].start.date() == date(2024, 8, 2)
    assert one_programme(
        "Committee X First session Geneva, 1–5 Aprıl 2024\n\nMonday, 1 Aprıl\n10 a.m.–1 p.m.\tA\n"
    ).start_date == date(2024, 4, 1)


def test_times_are_wall_clock_in_the_venue() -> None:
    p = one_programme(HEADER + "Monday, 11 December\n10.00–13.00\tA\n")
    assert p.slots[0].start.time() == time(10)
    assert p.slots[0].start == datetime(2023, 12, 11, 10, tzinfo=NY)
    # The venue's offset of that moment, fixed (so instants compare as instants: venue_time).
    assert p.slots[0].start.utcoffset() == timedelta(hours=-5)


def test_a_day_without_slots_and_a_number_in_the_preamble() -> None:
    p = one_programme(HEADER + "28 delegations attended.\nMonday, 11 December\n")
    assert p.slots == ()
