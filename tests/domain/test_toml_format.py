"""The structured TOML format: a lossless round trip, a shipped file that cannot drift from the
note, and errors that name the field and the line."""

from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.domain.note_parser import parse_note
from dashboard.domain.programme import (
    SLOT_KINDS,
    Footnote,
    Programme,
    ProgrammeError,
    Slot,
    local_instant,
)
from dashboard.domain.toml_format import from_toml, to_toml
from dashboard.domain.venues import VENUE_TIMEZONES
from tests.conftest import CONFIG, SHIPPED_NOTE

SHIPPED_TOML = CONFIG / "oewg-ict-sixth-session-2023.toml"


def same(a: Programme, b: Programme) -> None:
    """Equal, and every instant with the same wall clock and offset."""
    assert a == b
    assert [(s.start.isoformat(), s.end.isoformat()) for s in a.slots] == [
        (s.start.isoformat(), s.end.isoformat()) for s in b.slots
    ]


@pytest.fixture(scope="module")
def shipped() -> Programme:
    return parse_note(SHIPPED_NOTE.read_text(encoding="utf-8"), str(SHIPPED_NOTE)).programme


def test_shipped_note_round_trips(shipped: Programme) -> None:
    text = to_toml(shipped)
    same(from_toml(text, "x.toml"), shipped)
    assert to_toml(from_toml(text)) == text


def test_shipped_toml_is_the_note(shipped: Programme) -> None:
    """config/…toml is exactly what `dashboard import` makes of the note: it cannot drift."""
    assert SHIPPED_TOML.read_text(encoding="utf-8") == to_toml(shipped)
    same(from_toml(SHIPPED_TOML.read_text(encoding="utf-8"), str(SHIPPED_TOML)), shipped)


def test_toml_shape(shipped: Programme) -> None:
    text = to_toml(shipped)
    assert text.startswith("# Programme of work.")
    assert 'timezone = "America/New_York"' in text
    assert "start_date = 2023-12-11\n" in text
    assert text.count("[[slots]]") == 10
    assert "date = 2023-12-13\nstart = 15:00:00\nend = 18:00:00\n" in text
    assert '[footnotes]\n1 = "States are strongly encouraged' in text


# ---------------------------------------------------------------------------------------------
# Generated programmes

ZONES = [*sorted(set(VENUE_TIMEZONES.values())), "UTC", "Asia/Kathmandu"]
texts = st.text(max_size=30)
titles = st.text(min_size=1, max_size=30).map(str.strip).filter(bool)
FOOTNOTES = {
    "1": Footnote("1", "States are encouraged."),
    "2": Footnote("2", 'A "quoted" text\twith a tab'),
    "*": Footnote("*", "Ünïcødé — ✓"),
}


@st.composite
def programmes(draw: st.DrawFn) -> Programme:
    tz = ZoneInfo(draw(st.sampled_from(ZONES)))
    # Any season, so that sessions cross daylight-saving changes.
    start_date = date(2024, 1, 1) + timedelta(days=draw(st.integers(0, 700)))
    days = draw(st.integers(1, 15))
    end_date = start_date + timedelta(days=days - 1)
    slots = []
    for offset in sorted(draw(st.sets(st.integers(0, days - 1), max_size=6))):
        day = start_date + timedelta(days=offset)
        # Wall-clock minutes from 06:00, clear of every venue's change of clocks at night.
        cuts = sorted(draw(st.sets(st.integers(6 * 60, 24 * 60 - 1), min_size=2, max_size=6)))
        for a, b in zip(cuts[::2], cuts[1::2], strict=False):
            slots.append(
                Slot(
                    start=local_instant(day, time(a // 60, a % 60), tz),
                    end=local_instant(day, time(b // 60, b % 60), tz),
                    title=draw(titles),
                    details=tuple(draw(st.lists(texts, max_size=3))),
                    agenda_items=tuple(
                        draw(st.lists(st.sampled_from(["3", "5", "6(a)"]), max_size=2, unique=True))
                    ),
                    footnotes=tuple(
                        FOOTNOTES[m]
                        for m in draw(
                            st.lists(st.sampled_from(sorted(FOOTNOTES)), max_size=2, unique=True)
                        )
                    ),
                    kind=draw(st.sampled_from(SLOT_KINDS)),
                )
            )
    return Programme(
        title=draw(texts),
        session=draw(texts),
        venue=draw(texts),
        timezone=tz.key,
        start_date=start_date,
        end_date=end_date,
        slots=tuple(slots),
    )


@settings(max_examples=200, deadline=None)
@given(programme=programmes())
def test_generated_programmes_round_trip(programme: Programme) -> None:
    text = to_toml(programme)
    back = from_toml(text, "generated.toml")
    same(back, programme)
    assert back.footnotes() == programme.footnotes()
    assert to_toml(back) == text


# ---------------------------------------------------------------------------------------------
# Errors

GOOD = """\
format = 1
title = "Committee X"
session = "First session"
venue = "Geneva"
timezone = "Europe/Zurich"
start_date = 2024-03-25
end_date = 2024-03-31

[footnotes]
1 = "A footnote."

[[slots]]
date = 2024-03-25
start = 10:00:00
end = 13:00:00
title = "Opening of the session"
kind = "opening"
footnotes = ["1"]

[[slots]]
date = 2024-03-28
start = 15:00:00
end = 18:00:00
title = "Agenda item 5"
details = ["More"]
agenda_items = ["5"]
"""  # the [[slots]] tables are on lines 12 and 20


def test_good_minimal_toml() -> None:
    p = from_toml(GOOD, "p.toml")
    assert [(s.start.isoformat(), s.kind) for s in p.slots] == [
        ("2024-03-25T10:00:00+01:00", "opening"),
        ("2024-03-28T15:00:00+01:00", "meeting"),  # kind defaults to meeting
    ]
    assert p.slots[0].footnotes == (Footnote("1", "A footnote."),)
    assert p.slots[1].details == ("More",)
    assert p.slots[1].agenda_items == ("5",)
    no_session = from_toml(GOOD.replace('session = "First session"\n', ""))
    assert no_session.session == ""


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('title = "Agenda item 5"\n', "", "p.toml:20: slots[1]: missing field 'title'"),
        ("date = 2024-03-28\n", "", "p.toml:20: slots[1]: missing field 'date'"),
        (
            "start = 15:00:00",
            'start = "15:00"',
            "p.toml:20: slots[1].start: expected a time (10:00:00), got '15:00'",
        ),
        (
            "date = 2024-03-28",
            "date = 2024-03-28T10:00:00",
            "p.toml:20: slots[1].date: expected a date (2023-12-11), got "
            "datetime.datetime(2024, 3, 28, 10, 0)",
        ),
        (
            'kind = "opening"',
            'kind = "plenary"',
            "p.toml:12: slots[0].kind: 'plenary' is not one of meeting, opening, closing, "
            "stakeholder, side_event, informal, closed, break",
        ),
        (
            'footnotes = ["1"]',
            'footnotes = ["1", "3"]',
            "p.toml:12: slots[0].footnotes: footnote '3' is not defined",
        ),
        ('details = ["More"]', "details = [1]", "p.toml:20: slots[1].details: expected a list"),
        ("date = 2024-03-28", "date = 2024-04-01", "p.toml:20: slots[1].date: 2024-04-01 is"),
        ("end = 18:00:00", "end = 15:00:00", "p.toml:20: slots[1].end: is not after start"),
        ('title = "Agenda item 5"', 'title = "  "', "p.toml:20: slots[1].title: is empty"),
        (
            "date = 2024-03-28\nstart = 15:00:00",
            "date = 2024-03-25\nstart = 12:00:00",
            "p.toml:20: slots[1]: overlaps slots[0] (2024-03-25-1000)",
        ),
        (  # 31 March 2024: Zurich's clocks skip from 2:00 to 3:00
            "date = 2024-03-28\nstart = 15:00:00",
            "date = 2024-03-31\nstart = 02:30:00",
            "p.toml:20: slots[1].start: 02:30 on 31 March 2024 does not exist in Europe/Zurich",
        ),
        ('timezone = "Europe/Zurich"', 'timezone = "Mars/Base"', "p.toml: timezone: unknown"),
        ("timezone = ", "zone = ", "p.toml: timezone: missing field 'timezone'"),
        ('title = "Committee X"\n', "", "p.toml: title: missing field 'title'"),
        ('title = "Committee X"', "title = 7", "p.toml: title.title: expected a string, got 7"),
        ("format = 1", "format = 2", "p.toml: format: version 2 is not supported"),
        ("end_date = 2024-03-31", "end_date = 2024-03-20", "p.toml: end_date: is before"),
        ('1 = "A footnote."', "1 = 1", "p.toml: footnotes: expected a table"),
        (  # bad TOML syntax: the line of the problem
            "end = 18:00:00",
            "end = 18:00:00:00",
            "p.toml:23: ",
        ),
        ('title = "Agenda item 5"', 'title = "Agenda item 5', "p.toml:24: "),
    ],
)
def test_errors_name_the_field_and_line(old: str, new: str, expected: str) -> None:
    assert old in GOOD
    with pytest.raises(ProgrammeError) as caught:
        from_toml(
            GOOD.replace(old, new, 1) if old != "timezone = " else GOOD.replace(old, new), "p.toml"
        )
    assert str(caught.value).startswith(expected), str(caught.value)
    assert "(at line" not in str(caught.value)
