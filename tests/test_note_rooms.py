"""Several rooms in one note (issue 13): each slot carries the room the note names, overlap is
an error only within one room, and rooms.toml's ``note_rooms`` lets one note drive several
rooms' screens."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dashboard.domain.note_parser import parse_note
from dashboard.domain.programme import ProgrammeError
from dashboard.domain.rooms import parse_rooms, programme_for
from dashboard.domain.toml_format import from_toml, to_toml
from dashboard.settings import Settings
from dashboard.site import load_site, previous_slots, slot_snapshots, with_identities

NOTES = Path(__file__).resolve().parent / "notes"
NOTE = NOTES / "several-rooms-geneva.txt"


def rooms_of(text: str) -> list[tuple[str, str]]:
    p = parse_note(text, "rooms.txt").programme
    return [(s.title, s.room) for s in p.slots]


def test_each_slot_carries_the_room_the_note_names() -> None:
    p = parse_note(NOTE.read_text(encoding="utf-8"), NOTE.name).programme
    assert [(s.start.strftime("%d %H:%M"), s.title, s.room) for s in p.slots] == [
        ("02 10:00", "Opening of the session", "Room XX"),  # "(Room XX)" after the title
        ("02 10:00", "Informal consultations on draft resolution L.1", "Conference Room 2"),
        ("02 15:00", "Interactive dialogue on invented topics", "Room XX"),
        ("02 15:00", "Briefing by the Bureau", "ECOSOC Chamber"),
        ("02 16:30", "Informal consultations on draft resolution L.2", "Conference Room 2"),
        ("03 10:00", "Item 4 (continued)", "Room XX"),  # ", Room XX"
        ("03 13:15", "Side event on invented cooperation", "Conference room 2"),
    ]
    assert all(s.details == () for s in p.slots)  # the room lines are no details
    assert p.room_names == ("Room XX", "Conference Room 2", "ECOSOC Chamber")
    again = from_toml(to_toml(p), "again.toml")
    assert again == p
    assert [s.room for s in again.slots] == [s.room for s in p.slots]


def test_overlap_is_an_error_only_within_one_room() -> None:
    head = "Council X First session Geneva, 2–6 June 2025\n\nMonday, 2 June\n"
    text = head + "10 a.m.–1 p.m.\tA\n\tRoom XX\n11 a.m.–noon\tB\n\tConference Room 2\n"
    assert rooms_of(text) == [("A", "Room XX"), ("B", "Conference Room 2")]
    clash = head + "10 a.m.–1 p.m.\tA\n\tRoom XX\n11 a.m.–noon\tB\n\troom  xx\n"
    with pytest.raises(ProgrammeError) as caught:
        parse_note(clash, "rooms.txt")
    assert (caught.value.line, caught.value.message[:40]) == (
        6,
        "this slot overlaps the one at line 4 (Mo",
    )


def test_a_start_alone_ends_at_the_next_meeting_of_its_own_room() -> None:
    text = (
        "Council X First session Geneva, 2–6 June 2025\n\nMonday, 2 June\n"
        "10 a.m.\tA\n\tRoom XX\n11 a.m.–noon\tB\n\tConference Room 2\n"
    )
    p = parse_note(text, "rooms.txt").programme
    assert [(s.title, s.end.hour) for s in p.slots] == [("A", 13), ("B", 12)]


@pytest.mark.parametrize(
    ("line", "room"),
    [
        ("Plenary (Conference Room 4)", "Conference Room 4"),
        ("Plenary – Salle XVII", "Salle XVII"),
        ("Plenary, Trusteeship Council Chamber", "Trusteeship Council Chamber"),
        ("Plenary in the General Assembly Hall", ""),  # words, not a room of its own
        ("Room for manoeuvre on invented topics", ""),
        ("Report of the meeting (item 4)", ""),
    ],
)
def test_room_forms(line: str, room: str) -> None:
    text = f"Council X First session New York, 2–6 June 2025\n\nMonday, 2 June\n3–6 p.m.\t{line}\n"
    assert parse_note(text, "rooms.txt").programme.slots[0].room == room


ROOMS_TOML = """
[[rooms]]
id = "xx"
name = "Room XX"
programme = "council.txt"
note_rooms = ["Room XX"]

[[rooms]]
id = "cr2"
name = "Conference Room 2"
programme = "council.txt"
note_rooms = ["conference room 2", "ECOSOC Chamber"]
"""


def config(tmp_path: Path, rooms: str) -> Settings:
    shutil.copy(NOTE, tmp_path / "council.txt")
    (tmp_path / "rooms.toml").write_text(rooms, encoding="utf-8")
    return Settings.load(tmp_path)


def test_one_note_drives_several_rooms(tmp_path: Path) -> None:
    site = load_site(config(tmp_path, ROOMS_TOML))
    xx, cr2 = (site.programmes[r] for r in ("xx", "cr2"))
    assert [s.title for s in xx.slots] == [
        "Opening of the session",
        "Interactive dialogue on invented topics",
        "Item 4 (continued)",
    ]
    assert [s.room for s in cr2.slots] == [
        "Conference Room 2", "ECOSOC Chamber", "Conference Room 2", "Conference room 2",
    ]  # fmt: skip
    # A restart matches each room's meetings against that room's own.
    again = with_identities(
        load_site(config(tmp_path, ROOMS_TOML)), previous_slots(slot_snapshots(site))
    )
    assert slot_snapshots(again) == slot_snapshots(site)


def test_a_room_showing_every_meeting_of_a_note_with_several_rooms_is_refused(
    tmp_path: Path,
) -> None:
    rooms = '[[rooms]]\nid = "cr4"\nname = "Room 4"\nprogramme = "council.txt"\n'
    with pytest.raises(ProgrammeError) as caught:
        load_site(config(tmp_path, rooms))
    assert str(caught.value) == (
        f"{tmp_path / 'council.txt'}: room 'cr4' shows every meeting of council.txt, but "
        "2025-06-02-1000 (Room XX) and 2025-06-02-1000-0800Z (Conference Room 2) overlap: give "
        "the room's note_rooms (the rooms of the note it shows)"
    )


def test_note_rooms_that_name_no_room_of_the_note_are_refused(tmp_path: Path) -> None:
    rooms = ROOMS_TOML.replace('["Room XX"]', '["Room 99"]')
    with pytest.raises(ProgrammeError) as caught:
        load_site(config(tmp_path, rooms))
    assert "room 'xx': its note_rooms ['Room 99'] name no room of council.txt" in str(caught.value)
    assert "(the note names: 'Room XX', 'Conference Room 2', 'ECOSOC Chamber')" in str(caught.value)
    for bad in ('"Room XX"', "[1]", '[""]'):
        with pytest.raises(ProgrammeError, match=r"rooms\[0\]\.note_rooms: expected a list"):
            parse_rooms(ROOMS_TOML.replace('["Room XX"]', bad), "rooms.toml")


def test_a_note_without_rooms_is_every_room_s() -> None:
    p = parse_note(
        "Council X First session New York, 2–6 June 2025\n\nMonday, 2 June\n3–6 p.m.\tA\n", "n"
    ).programme
    room = parse_rooms('[[rooms]]\nid = "a"\nname = "A"\nprogramme = "n.txt"\n', "r")[0]
    assert programme_for(room, p, "n.txt") is p
