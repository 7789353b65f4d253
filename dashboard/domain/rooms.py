"""Rooms: which programme each room's screens show (``config/rooms.toml``)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass

from .programme import Programme, ProgrammeError, first_overlap, slot_name

ROOM_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


@dataclass(frozen=True, slots=True)
class Room:
    id: str  # in URLs: /display/{id}
    name: str  # on screens: "Conference Room 4"
    programme: str  # file name of its programme, relative to the config folder
    # The rooms of the note this room shows ("Conference Room 2"), when a note names several;
    # empty: every meeting of the programme.
    note_rooms: tuple[str, ...] = ()


def parse_rooms(text: str, source: str) -> tuple[Room, ...]:
    """Read rooms.toml; errors name the room and the field."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProgrammeError(source, None, str(exc)) from None
    raw_rooms = doc.get("rooms")
    if not isinstance(raw_rooms, list) or not raw_rooms:
        raise ProgrammeError(source, None, "no [[rooms]]: list at least one room")
    rooms: list[Room] = []
    for i, raw in enumerate(raw_rooms):
        where = f"rooms[{i}]"
        if not isinstance(raw, dict):
            raise ProgrammeError(source, None, f"{where}: expected a table")
        values = {}
        for key in ("id", "name", "programme"):
            value = raw.get(key)
            if not isinstance(value, str) or not value.strip():
                raise ProgrammeError(source, None, f"{where}.{key}: missing or empty")
            values[key] = value.strip()
        if not ROOM_ID_RE.match(values["id"]):
            raise ProgrammeError(
                source,
                None,
                f"{where}.id: {values['id']!r} must be lowercase letters, digits and dashes",
            )
        if any(r.id == values["id"] for r in rooms):
            raise ProgrammeError(source, None, f"{where}.id: room {values['id']!r} is listed twice")
        note_rooms = raw.get("note_rooms", [])
        if not isinstance(note_rooms, list) or not all(
            isinstance(n, str) and n.strip() for n in note_rooms
        ):
            raise ProgrammeError(
                source, None, f"{where}.note_rooms: expected a list of room names as the note "
                "prints them (\"Conference Room 2\")",
            )  # fmt: skip
        rooms.append(Room(**values, note_rooms=tuple(n.strip() for n in note_rooms)))
    return tuple(rooms)


def programme_for(room: Room, programme: Programme, source: str) -> Programme:
    """What ``room``'s screens show of the programme it reads: the slots of its ``note_rooms``
    when it lists them; else the whole programme, whose slots must then not overlap (a note
    with meetings in several rooms at once needs each room's note_rooms)."""
    if room.note_rooms:
        mine = programme.for_rooms(room.note_rooms)
        if not mine.slots and programme.slots:
            named = ", ".join(repr(n) for n in programme.room_names) or "none"
            raise ProgrammeError(
                source,
                None,
                f"room {room.id!r}: its note_rooms {list(room.note_rooms)} name no room of "
                f"{room.programme} (the note names: {named})",
            )
        return mine
    if (pair := first_overlap(programme.slots, any_room=True)) is not None:
        a, b = (programme.slots[k] for k in pair)
        raise ProgrammeError(
            source,
            None,
            f"room {room.id!r} shows every meeting of {room.programme}, but {slot_name(a)} "
            f"({a.room or 'no room named'}) and {slot_name(b)} ({b.room or 'no room named'}) "
            "overlap: give the room's note_rooms (the rooms of the note it shows)",
        )
    return programme
