"""Rooms: which programme each room's screens show (``config/rooms.toml``)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass

from .programme import ProgrammeError

ROOM_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


@dataclass(frozen=True, slots=True)
class Room:
    id: str  # in URLs: /display/{id}
    name: str  # on screens: "Conference Room 4"
    programme: str  # file name of its programme, relative to the config folder


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
        rooms.append(Room(**values))
    return tuple(rooms)
