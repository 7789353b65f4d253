"""What a slot's text says: footnote markers, agenda items, kind."""

from __future__ import annotations

import pytest

from dashboard.domain.slot_text import agenda_items, kind_of, split_markers


@pytest.mark.parametrize(
    ("text", "defined", "clean", "markers"),
    [
        ("Dedicated stakeholder session (of 22 April 2022) ²", {"2"}, "Dedicated stakeholder "
         "session (of 22 April 2022)", ["2"]),
        ("Agenda item 5: resolution 75/240 ¹", set(), "Agenda item 5: resolution 75/240", ["1"]),
        ("General debate¹²", set(), "General debate", ["12"]),  # one run: footnote 12
        ("Debate¹ and report²", set(), "Debate and report", ["1", "2"]),
        ("General Assembly resolution 75/240 1", {"1"}, "General Assembly resolution 75/240",
         ["1"]),
        ("General debate 1", set(), "General debate 1", []),  # no such footnote
        ("Agenda item 1", {"1"}, "Agenda item 1", []),
        ("Agenda items 6 and 7", {"7"}, "Agenda items 6 and 7", []),
        ("Conference Room 4", {"4"}, "Conference Room 4", []),
        ("Informal briefing *", {"*"}, "Informal briefing", ["*"]),
        ("1", {"1"}, "1", []),
    ],
)  # fmt: skip
def test_split_markers(text: str, defined: set[str], clean: str, markers: list[str]) -> None:
    assert split_markers(text, defined) == (clean, markers)


@pytest.mark.parametrize(
    ("texts", "items"),
    [
        (["Agenda item 3: organization of work"], ("3",)),
        (["Agenda items 6 and 7"], ("6", "7")),
        (["Agenda items 3, 4 and 5"], ("3", "4", "5")),
        (["Agenda items 3 to 5"], ("3", "4", "5")),
        (["Agenda items 3 to 5 and 9"], ("3", "4", "5", "9")),
        (["Agenda item 4 (a)", "agenda item 4(b)"], ("4(a)", "4(b)")),
        (["Agenda item 5 (continued)", "Agenda item 5"], ("5",)),
        (["Agenda items 6 & 7"], ("6", "7")),
        (["Closure of the session"], ()),
        (["sub-item of agenda item 5"], ("5",)),
        (["Agenda item five"], ()),
    ],
)
def test_agenda_items(texts: list[str], items: tuple[str, ...]) -> None:
    assert agenda_items(texts) == items


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("Opening of the session", "opening"),
        ("Closure of the session", "closing"),
        ("Closing of the meeting", "closing"),
        ("Dedicated stakeholder session", "stakeholder"),
        ("Side event: capacity-building", "side_event"),
        ("Side-events", "side_event"),
        ("Informal consultations on the report", "informal"),
        ("Closed meeting of the Bureau", "closed"),
        ("Lunch break", "break"),
        ("Coffee break", "break"),
        ("Agenda item 5: discussions", "meeting"),
        ("Working lunch on stakeholders", "stakeholder"),  # "lunch" only counts first
        ("Stakeholder consultations (informal consultations)", "informal"),
    ],
)
def test_kind_of(title: str, kind: str) -> None:
    assert kind_of([title]) == kind
