"""The JSON shapes other tools depend on (``dashboard export`` / ``now`` and the HTTP API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .programme import Programme, Slot


def slot_json(slot: Slot, programme: Programme) -> dict[str, Any]:
    """One slot; instants in ISO 8601 with the venue's UTC offset of that day."""
    return {
        "id": slot.id,
        "start": slot.start.astimezone(programme.tz).isoformat(),
        "end": slot.end.astimezone(programme.tz).isoformat(),
        "agenda_items": list(slot.agenda_items),
        "title": slot.title,
        "details": list(slot.details),
        "footnotes": [{"marker": f.marker, "text": f.text} for f in slot.footnotes],
        "kind": slot.kind,
    }


def programme_json(programme: Programme) -> dict[str, Any]:
    return {
        "title": programme.title,
        "session": programme.session,
        "venue": programme.venue,
        "timezone": programme.timezone,
        "start_date": programme.start_date.isoformat(),
        "end_date": programme.end_date.isoformat(),
        "slots": [slot_json(s, programme) for s in programme.slots],
    }


def now_json(programme: Programme, instant: datetime) -> dict[str, Any]:
    current = programme.slot_at(instant)
    upcoming = programme.next_slot(instant)
    return {
        "current": slot_json(current, programme) if current else None,
        "next": slot_json(upcoming, programme) if upcoming else None,
    }
