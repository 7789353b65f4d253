"""Load what the server shows: the rooms and their programmes, from the config folder."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .domain.identity import carry_ids, from_snapshot, snapshot
from .domain.loader import load_programme
from .domain.note_lines import HalfDays
from .domain.programme import Programme, ProgrammeError, Slot
from .domain.rooms import Room, parse_rooms, programme_for
from .logs import warn
from .settings import Settings


@dataclass(frozen=True)
class Site:
    rooms: tuple[Room, ...]
    programmes: dict[str, Programme]  # by room id

    def room(self, room_id: str) -> Room | None:
        return next((r for r in self.rooms if r.id == room_id), None)


def read_programme_file(
    path: Path, timezone: str | None, half_days: HalfDays | None = None
) -> Programme:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProgrammeError(str(path), None, f"cannot read the file: {exc.strerror}") from None
    result = load_programme(data, str(path), timezone, half_days)
    for warning in result.warnings:
        warn(str(warning))
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
            by_file[room.programme] = read_programme_file(
                path, settings.timezone, settings.half_days
            )
        programmes[room.id] = programme_for(
            room, by_file[room.programme], str(settings.config_dir / room.programme)
        )
    return Site(rooms, programmes)


def with_identities(site: Site, previous: Mapping[str, Sequence[Slot]]) -> Site:
    """``site`` with each programme's meetings under the ids they had in ``previous`` (each
    room's slots as last published), wherever they match (domain/identity.py).  Rooms reading
    one file (and the same rooms of it, ``note_rooms``) keep sharing one programme: it is
    matched against the first of them that had slots before."""
    programmes: dict[str, Programme] = {}
    by_file: dict[tuple[str, tuple[str, ...]], Programme] = {}
    for room in site.rooms:
        key = (room.programme, room.note_rooms)
        if key not in by_file:
            readers = [r.id for r in site.rooms if (r.programme, r.note_rooms) == key]
            before = next((previous[r] for r in readers if previous.get(r)), None)
            fresh = site.programmes[room.id]
            by_file[key] = carry_ids(before, fresh) if before else fresh
        programmes[room.id] = by_file[key]
    return Site(site.rooms, programmes)


def slot_snapshots(site: Site) -> dict[str, list[dict[str, Any]]]:
    return {room.id: snapshot(site.programmes[room.id].slots) for room in site.rooms}


def previous_slots(snapshots: Mapping[str, Sequence[Any]]) -> dict[str, list[Slot]]:
    return {room: from_snapshot(data) for room, data in snapshots.items()}
