"""Load what the server shows: the rooms and their programmes, from the config folder."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from .domain.loader import load_programme
from .domain.programme import Programme, ProgrammeError
from .domain.rooms import Room, parse_rooms
from .settings import Settings


@dataclass(frozen=True)
class Site:
    rooms: tuple[Room, ...]
    programmes: dict[str, Programme]  # by room id

    def room(self, room_id: str) -> Room | None:
        return next((r for r in self.rooms if r.id == room_id), None)


def read_programme_file(path: Path, timezone: str | None) -> Programme:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProgrammeError(str(path), None, f"cannot read the file: {exc.strerror}") from None
    result = load_programme(data, str(path), timezone)
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    return result.programme


def load_site(settings: Settings) -> Site:
    rooms_path = settings.config_dir / "rooms.toml"
    try:
        text = rooms_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProgrammeError(str(rooms_path), None, f"cannot read the file: {exc}") from None
    rooms = parse_rooms(text, str(rooms_path))
    by_file: dict[str, Programme] = {}
    programmes: dict[str, Programme] = {}
    for room in rooms:
        if room.programme not in by_file:
            path = settings.config_dir / room.programme
            by_file[room.programme] = read_programme_file(path, settings.timezone)
        programmes[room.id] = by_file[room.programme]
    return Site(rooms, programmes)
