"""The feeds' meetings (domain/meetings.py) and what the calendar and frab writers make of them:
one meeting once, wherever it is held; SEQUENCE counts every change that moved it and never
goes down; text from staff cannot forge an event."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, date, datetime

from icalendar import Calendar

from dashboard.domain.frab import Conference, schedule, to_xml
from dashboard.domain.ical import FeedInfo, Labels, calendar
from dashboard.domain.meetings import meetings, revisions
from tests.domain._plan_desk import NAMES, SPLIT, WED_AM, WED_PM, WEEK, Desk, ny

LABELS = Labels(
    "Cancelled: %(title)s", "Closed meeting", "Agenda items: %(items)s", "From %(room)s"
)
INFO = FeedInfo("Test", "urn:test", NAMES, {}, datetime(2023, 12, 1, tzinfo=UTC))


def test_a_moved_meeting_is_one_meeting_held_in_the_other_room() -> None:
    desk = Desk()
    desk.make(ny(13, 9, 50), room="cr4", kind="move", to_room="cr1")
    found = meetings(["cr4", "cr1"], desk.programmes, desk.overrides, ny(13, 9, 55))
    moved = [m for m in found if m.key == f"cr4/{WED_AM}"]
    assert len(moved) == 1
    assert (moved[0].source, moved[0].room, moved[0].moved) == ("cr4", "cr1", True)
    assert len(found) == len(WEEK.slots) + len(desk.programmes["cr1"].slots)


def test_a_delay_passed_on_changes_each_meeting_it_moves() -> None:
    desk = Desk({"cr4": SPLIT})
    first, second, afternoon = (s.id for s in SPLIT.slots)
    desk.make(ny(13, 9), room="cr4", kind="late", minutes=15, slot=first, shift_rest=True)
    counted = revisions(["cr4"], desk.programmes, desk.overrides, ny(13, 9, 1))
    assert counted[f"cr4/{first}"].sequence == 1
    assert counted[f"cr4/{second}"].sequence == 1
    assert counted[f"cr4/{second}"].stamp == ny(13, 9)
    assert f"cr4/{afternoon}" not in counted  # another half-day: untouched


def test_sequences_never_go_down_and_undo_is_a_change() -> None:
    desk = Desk()
    key = f"cr4/{WED_PM}"
    steps = [
        (ny(13, 9), {"kind": "late", "minutes": 10, "slot": WED_PM}),
        (ny(13, 9, 5), {"kind": "late", "minutes": 20, "slot": WED_PM}),
        (ny(13, 9, 10), {"kind": "pointer", "text": "Item 5", "slot": WED_AM}),
        (ny(13, 9, 15), {"kind": "announce", "text": "Coffee"}),
        (ny(13, 9, 20), {"kind": "cancel", "slot": WED_PM, "text": "Postponed"}),
    ]
    seen = []
    for at, body in steps:
        desk.make(at, room="cr4", **body)
        seen.append(revisions(["cr4"], desk.programmes, desk.overrides, at)[key].sequence)
    # The pointer and the announcement do not change the meeting's calendar entry.
    assert seen == [1, 2, 2, 2, 3]
    cancel = desk.overrides[-1]
    desk.make(ny(13, 9, 25), room="cr4", kind="clear", target=cancel.id)
    after = revisions(["cr4"], desk.programmes, desk.overrides, ny(13, 9, 26))[key]
    assert (after.sequence, after.stamp) == (4, ny(13, 9, 25))
    # Asked earlier, the log says what it said then.
    assert revisions(["cr4"], desk.programmes, desk.overrides, ny(13, 9, 7))[key].sequence == 2


def test_staff_text_cannot_forge_an_event_or_an_element() -> None:
    desk = Desk()
    evil = "Postponed\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:forged\r\n</abstract><event guid='x'/>"
    # The desk refuses control characters; the writers must not rely on it.
    made = desk.make(ny(13, 9), room="cr4", kind="cancel", slot=WED_PM, text="Postponed")
    desk.overrides[-1] = replace(made, text=evil)
    found = meetings(["cr4"], desk.programmes, desk.overrides, ny(13, 9, 1))
    counted = revisions(["cr4"], desk.programmes, desk.overrides, ny(13, 9, 1))
    events = Calendar.from_ical(calendar(found, counted, LABELS, INFO)).walk("VEVENT")
    assert len(events) == len(WEEK.slots)
    assert "forged" not in {str(e["uid"]) for e in events}
    (cancelled,) = [e for e in events if str(e["status"]) == "CANCELLED"]
    # Kept as text (line breaks as the format writes them: \n).
    assert str(cancelled["description"]).endswith(evil.replace("\r\n", "\n"))
    conference = Conference(
        "t", "T", "America/New_York", date(2023, 12, 11), date(2023, 12, 15), "", "en",
        NAMES, {}, "urn:test", "1",
    )  # fmt: skip
    root = ET.fromstring(to_xml(schedule(found, conference, LABELS)))
    assert len(root.findall(".//event")) == len(WEEK.slots)
    abstracts = [e.findtext("abstract", "") for e in root.iter("event")]
    # XML keeps the text as text (a parser reads CR LF as LF).
    assert sum(a.endswith(evil.replace("\r\n", "\n")) for a in abstracts) == 1


def replayed(desk: Desk, rooms: list[str], at: datetime) -> dict[str, tuple[int, datetime]]:
    """The plain replay ``revisions`` must agree with: every meeting of every room made again
    at each instant an override took effect (none of these expire)."""
    shapes = {m.key: m.shape() for m in meetings(rooms, desk.programmes, (), at)}
    counts: dict[str, tuple[int, datetime]] = {}
    for instant in sorted({o.effective for o in desk.overrides if o.effective <= at}):
        for m in meetings(rooms, desk.programmes, desk.overrides, instant):
            if shapes[m.key] != m.shape():
                shapes[m.key] = m.shape()
                counts[m.key] = (counts.get(m.key, (0, instant))[0] + 1, instant)
    return counts


def test_revisions_agree_with_replaying_every_room_at_every_instant() -> None:
    desk = Desk()
    desk.make(ny(12, 9), room="cr4", kind="late", minutes=10, slot=WED_PM)
    move = desk.make(ny(12, 9, 5), room="cr4", kind="move", to_room="cr1", slot=WED_AM)
    desk.make(ny(12, 9, 10), room="cr1", kind="late", minutes=5, slot=f"cr4/{WED_AM}")
    desk.make(ny(12, 9, 15), room="cr4", kind="clear", target=move.id)
    desk.make(ny(12, 9, 20), room="cr4", kind="cancel", slot=WED_AM, text="Postponed")
    desk.make(ny(12, 9, 25), room="cr1", kind="cancel", slot="2023-12-14-1000")
    desk.make(ny(12, 9, 30), room="cr4", kind="closed", slot=WED_PM)
    rooms = ["cr4", "cr1"]
    for at in (ny(12, 9, 7), ny(12, 9, 12), ny(12, 9, 17), ny(12, 10)):
        fast = revisions(rooms, desk.programmes, desk.overrides, at)
        assert {k: (r.sequence, r.stamp) for k, r in fast.items()} == replayed(desk, rooms, at)
    # Moved, late in the other room, moved back (the move undone), cancelled: four changes.
    final = revisions(rooms, desk.programmes, desk.overrides, ny(12, 10))
    assert final[f"cr4/{WED_AM}"].sequence == 4


def test_a_closed_meetings_subject_stays_out_of_the_feeds() -> None:
    """As on the screens and in the JSON: "Closed meeting", no title, agenda or details."""
    desk = Desk()
    desk.make(ny(13, 9), room="cr4", kind="closed", slot=WED_PM)
    found = meetings(["cr4"], desk.programmes, desk.overrides, ny(13, 9, 1))
    counted = revisions(["cr4"], desk.programmes, desk.overrides, ny(13, 9, 1))
    secret = WEEK.slot_by_id(WED_PM)
    assert secret is not None
    ics = calendar(found, counted, LABELS, INFO).decode()
    conference = Conference(
        "t", "T", "America/New_York", date(2023, 12, 11), date(2023, 12, 15), "", "en",
        NAMES, {}, "urn:test", "1",
    )  # fmt: skip
    xml = to_xml(schedule(found, conference, LABELS)).decode()
    (closed,) = [e for e in Calendar.from_ical(ics).walk("VEVENT") if "Closed" in str(e["summary"])]
    assert str(closed["summary"]) == "Closed meeting"
    assert "description" not in closed
    # Read back (a folded or escaped line would hide the words from a search of the bytes).
    words = [
        str(e.get(k, ""))
        for e in Calendar.from_ical(ics).walk("VEVENT")
        for k in ("summary", "description")
    ]
    root = ET.fromstring(xml)
    words += [e.findtext(k, "") for e in root.iter("event") for k in ("title", "abstract", "slug")]
    assert any(WEEK.slots[0].title in w for w in words)  # the search does find a title
    for text in words:
        assert secret.title not in text
        assert all(detail not in text for detail in secret.details)
