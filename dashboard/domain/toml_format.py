"""The structured programme format: TOML that a secretariat can correct by hand.

Times are wall-clock times in the programme's ``timezone`` (TOML local dates and times), so the
file reads like the printed programme and stays right across daylight-saving changes.
Footnotes are written once, in a ``[footnotes]`` table, and slots name them by marker::

    format = 1
    title = "Open-ended working group on ..."
    session = "Sixth substantive session"
    venue = "New York"
    timezone = "America/New_York"
    start_date = 2023-12-11
    end_date = 2023-12-15

    [footnotes]
    1 = "States are strongly encouraged ..."

    [[slots]]
    id = "opening"  # optional: keeps the meeting's identity whatever a revision changes
    date = 2023-12-11
    start = 10:00:00
    end = 13:00:00
    title = "Opening of the session"
    details = ["Opening statements", "..."]
    agenda_items = ["3"]
    kind = "opening"
    footnotes = []
"""

from __future__ import annotations

import re
import tomllib
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import tomli_w

from .programme import (
    SLOT_ID_RE,
    SLOT_KINDS,
    Footnote,
    Programme,
    ProgrammeError,
    Slot,
    default_id,
    first_overlap,
    local_instant,
    slot_name,
)

FORMAT_VERSION = 1


def to_toml(programme: Programme) -> str:
    footnotes = {f.marker: f.text for f in programme.footnotes()}
    slots = []
    for slot in programme.slots:
        start = slot.start.astimezone(programme.tz)
        end = slot.end.astimezone(programme.tz)
        given = {"id": slot.id} if slot.id != default_id(slot.start) else {}
        slots.append(
            {
                **given,
                "date": start.date(),
                "start": start.time(),
                "end": end.time(),
                "title": slot.title,
                "details": list(slot.details),
                "agenda_items": list(slot.agenda_items),
                "kind": slot.kind,
                "footnotes": [f.marker for f in slot.footnotes],
                **({"end_estimated": True} if slot.end_estimated else {}),
                **({"room": slot.room} if slot.room else {}),
            }
        )
    document: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "title": programme.title,
        "session": programme.session,
        "venue": programme.venue,
        "timezone": programme.timezone,
        "start_date": programme.start_date,
        "end_date": programme.end_date,
        "footnotes": footnotes,
        "slots": slots,
    }
    head = "# Programme of work. Times are local to `timezone`; slots are [start, end).\n"
    return head + tomli_w.dumps(document, multiline_strings=False)


class _Reader:
    """Typed access to the parsed TOML with errors that name the field and its line."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.slot_lines = [
            i + 1 for i, line in enumerate(text.splitlines()) if line.strip() == "[[slots]]"
        ]

    def error(self, where: str, message: str, index: int | None = None) -> ProgrammeError:
        line = None
        if index is not None and index < len(self.slot_lines):
            line = self.slot_lines[index]
        return ProgrammeError(self.source, line, f"{where}: {message}")

    def get(
        self, table: dict[str, Any], key: str, kind: type, where: str, index: int | None = None
    ) -> Any:
        if key not in table:
            raise self.error(where, f"missing field {key!r}", index)
        value = table[key]
        # TOML datetimes are also dates: insist on the exact type asked for.
        if type(value) is not kind and not (kind is str and isinstance(value, str)):
            raise self.error(
                f"{where}.{key}", f"expected {_TYPE_NAMES[kind]}, got {value!r}", index
            )
        return value

    def strings(self, table: dict[str, Any], key: str, where: str, index: int) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(f"{where}.{key}", "expected a list of strings", index)
        return tuple(value)


_TYPE_NAMES: dict[type, str] = {
    str: "a string",
    bool: "true or false",
    int: "a whole number",
    date: "a date (2023-12-11)",
    time: "a time (10:00:00)",
    list: "a list",
    dict: "a table",
}
_TOML_LINE_RE = re.compile(r"\(at line (\d+), column \d+\)")


def from_toml(text: str, source: str = "<toml>") -> Programme:
    """Read the structured format.  Raises ProgrammeError naming the field and line."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = _TOML_LINE_RE.search(message)
        line = int(m.group(1)) if m else None
        raise ProgrammeError(source, line, _TOML_LINE_RE.sub("", message).strip()) from None
    r = _Reader(text, source)
    if (version := doc.get("format", FORMAT_VERSION)) != FORMAT_VERSION:
        raise r.error("format", f"version {version!r} is not supported (expected 1)")
    tz_name = r.get(doc, "timezone", str, "timezone")
    try:
        tz = ZoneInfo(tz_name)
    except (ValueError, KeyError, OSError):
        raise r.error("timezone", f"unknown time zone {tz_name!r}") from None
    start_date = r.get(doc, "start_date", date, "start_date")
    end_date = r.get(doc, "end_date", date, "end_date")
    if end_date < start_date:
        raise r.error("end_date", "is before start_date")
    footnotes = doc.get("footnotes", {})
    if not isinstance(footnotes, dict) or not all(isinstance(v, str) for v in footnotes.values()):
        raise r.error("footnotes", 'expected a table of marker = "text"')
    raw_slots = doc.get("slots", [])
    if not isinstance(raw_slots, list):
        raise r.error("slots", "expected [[slots]] tables")
    slots: list[Slot] = []
    given: dict[str, int] = {}  # ids written in the file → their slot's index
    for i, raw in enumerate(raw_slots):
        try:
            slot = _slot(r, raw, i, (start_date, end_date), tz, footnotes)
            if slot.id in given:
                raise r.error(
                    f"slots[{i}].id", f"{slot.id!r} is the id of slots[{given[slot.id]}]", i
                )
        except ProgrammeError:
            # Overlaps are checked once for all the slots (a sort, not a scan per slot); one
            # among the slots above is still the first problem in the file.
            _check_overlaps(r, slots)
            raise
        if slot.id_given:
            given[slot.id] = i
        slots.append(slot)
    _check_overlaps(r, slots)
    # A given id may not be another slot's own (from its start): overrides naming it would
    # silently move to the slot that took it.
    for i, slot in enumerate(slots):
        if not slot.id_given and (taker := given.get(default_id(slot.start))) is not None:
            raise r.error(
                f"slots[{taker}].id",
                f"{slot_name(slot)!r} is the id slots[{i}] has from its start time",
                taker,
            )
    return Programme(
        title=r.get(doc, "title", str, "title"),
        session=r.get(doc, "session", str, "session") if "session" in doc else "",
        venue=r.get(doc, "venue", str, "venue"),
        timezone=tz_name,
        start_date=start_date,
        end_date=end_date,
        slots=tuple(slots),
    )


def _instant(r: _Reader, day: date, at: time, tz: ZoneInfo, where: str, i: int) -> datetime:
    if at.tzinfo is not None:
        raise r.error(where, "give a local time without an offset", i)
    try:
        return local_instant(day, at, tz)
    except ValueError as exc:
        raise r.error(where, str(exc), i) from None


def _slot(
    r: _Reader,
    raw: object,
    i: int,
    session: tuple[date, date],
    tz: ZoneInfo,
    footnotes: dict[str, str],
) -> Slot:
    where = f"slots[{i}]"
    if not isinstance(raw, dict):
        raise r.error(where, "expected a table", i)
    day = r.get(raw, "date", date, where, i)
    if not session[0] <= day <= session[1]:
        raise r.error(f"{where}.date", f"{day} is outside the session", i)
    start = _instant(r, day, r.get(raw, "start", time, where, i), tz, f"{where}.start", i)
    end_time = r.get(raw, "end", time, where, i)
    # end = 00:00:00 is the midnight that ends the day (a day without meetings).
    end_day = day + timedelta(days=1) if end_time == time(0) else day
    end = _instant(r, end_day, end_time, tz, f"{where}.end", i)
    if end <= start:
        raise r.error(f"{where}.end", "is not after start", i)
    kind = r.get(raw, "kind", str, where, i) if "kind" in raw else "meeting"
    if kind not in SLOT_KINDS:
        raise r.error(f"{where}.kind", f"{kind!r} is not one of {', '.join(SLOT_KINDS)}", i)
    markers = r.strings(raw, "footnotes", where, i)
    for marker in markers:
        if marker not in footnotes:
            raise r.error(f"{where}.footnotes", f"footnote {marker!r} is not defined", i)
    title = r.get(raw, "title", str, where, i).strip()
    if not title:
        raise r.error(f"{where}.title", "is empty", i)
    slot_id = r.get(raw, "id", str, where, i) if "id" in raw else ""
    estimated = r.get(raw, "end_estimated", bool, where, i) if "end_estimated" in raw else False
    room = r.get(raw, "room", str, where, i).strip() if "room" in raw else ""
    if slot_id and not SLOT_ID_RE.match(slot_id):
        raise r.error(f"{where}.id", "letters, digits and . _ : - only (64 at most)", i)
    return Slot(
        start=start,
        end=end,
        title=title,
        details=r.strings(raw, "details", where, i),
        agenda_items=r.strings(raw, "agenda_items", where, i),
        footnotes=tuple(Footnote(m, footnotes[m]) for m in markers),
        kind=kind,
        end_estimated=estimated,
        room=room,
        id=slot_id,
        id_given=bool(slot_id),
    )


def _check_overlaps(r: _Reader, slots: list[Slot]) -> None:
    """Refuse the first slot (in the file's order) that overlaps one above it, naming both."""
    if (pair := first_overlap(slots)) is not None:
        i, j = pair
        raise r.error(f"slots[{j}]", f"overlaps slots[{i}] ({slot_name(slots[i])})", j)
