"""The head of a note: title, session, venue and dates, on one line or three."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.domain.note_header import Header, month_number, parse_header
from dashboard.domain.programme import ProgrammeError
from tests.conftest import SHIPPED_NOTE


def header(text: str) -> Header:
    return parse_header(text.split("\n"), "note.txt")


def test_shipped_header() -> None:
    lines = SHIPPED_NOTE.read_text(encoding="utf-8").split("\n")
    h = parse_header(lines[:30], str(SHIPPED_NOTE))
    assert h.title.startswith("Open-ended working group on security")
    assert h.title.endswith("technologies 2021–2025")
    assert (h.session, h.venue, h.line) == ("Sixth substantive session", "New York", 9)
    assert (h.start_date, h.end_date) == (date(2023, 12, 11), date(2023, 12, 15))


@pytest.mark.parametrize(
    ("text", "title", "session", "venue", "start", "end", "line"),
    [
        (
            "Human Rights Council\nFifty-sixth session\nGeneva, 18 June–12 July 2024",
            "Human Rights Council", "Fifty-sixth session", "Geneva",
            date(2024, 6, 18), date(2024, 7, 12), 3,
        ),
        (
            "Distr.: General\n\nCommittee on X\nSecond session\nGeneva, 29 July–9 August 2024",
            "Committee on X", "Second session", "Geneva",
            date(2024, 7, 29), date(2024, 8, 9), 5,
        ),
        (
            "Committee X Twentieth session Vienna, 30 December 2024 to 3 January 2025",
            "Committee X", "Twentieth session", "Vienna",
            date(2024, 12, 30), date(2025, 1, 3), 1,
        ),
        (  # a December–January session without the first year
            "Committee X Resumed first session Nairobi, 30 December–3 January 2025",
            "Committee X", "Resumed first session", "Nairobi",
            date(2024, 12, 30), date(2025, 1, 3), 1,
        ),
        (
            "Committee X 3rd session Bonn, 1 June 2022",
            "Committee X", "3rd session", "Bonn", date(2022, 6, 1), date(2022, 6, 1), 1,
        ),
        (  # no session: the venue is found at the end of the text
            "Meeting of States Parties New York, 11-15 Dec. 2023",
            "Meeting of States Parties", "", "New York",
            date(2023, 12, 11), date(2023, 12, 15), 1,
        ),
        (  # an unknown venue without a session: its capitalised words
            "meeting of experts Kuala Lumpur, 4–8 March 2024",
            "meeting of experts", "", "Kuala Lumpur", date(2024, 3, 4), date(2024, 3, 8), 1,
        ),
    ],
)  # fmt: skip
def test_headers(
    text: str, title: str, session: str, venue: str, start: date, end: date, line: int
) -> None:
    h = header(text)
    assert (h.title, h.session, h.venue) == (title, session, venue)
    assert (h.start_date, h.end_date, h.line) == (start, end, line)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("Committee X First session New York", 1, "no venue and dates found"),
        ("Committee X First session New York, 31 June 2024", 1, "31 June 2024 is not a date"),
        ("Committee X First session\nNew York, 30 February–2 March 2024", 2, "30 February 2024"),
        ("\nCommittee X Geneva, 15–11 December 2023", 2, "last day is before its first"),
        ("committee x, 11–15 December 2023", 1, "no venue"),
    ],
)
def test_bad_headers(text: str, line: int, message: str) -> None:
    with pytest.raises(ProgrammeError) as caught:
        header(text)
    assert caught.value.line == line
    assert message in caught.value.message
    assert str(caught.value).startswith(f"note.txt:{line}: ")


@pytest.mark.parametrize(
    ("name", "number"),
    [("December", 12), ("dec.", 12), ("SEPT", 9), ("May", 5), ("Auguſt", 8), ("Aprıl", 4)],
)
def test_month_number(name: str, number: int) -> None:
    assert month_number(name) == number
