"""The JSON shapes other tools depend on (``dashboard export`` / ``now`` and the HTTP API).

Two families: the printed programme (``programme_json``, ``now_json``: what ``dashboard export``
and ``/api/programme`` give), and the programme as the overrides in force have made it at an
instant (``room_now_json``, ``room_day_json``: ``/api/rooms/{room}/now`` and ``/slots``), read
from the same ``ScreenState`` the screens are rendered from.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from .plan import Banner, Planned, SlotStatus
from .programme import Programme, Slot, venue_time
from .timeline import ScreenState


def slot_json(slot: Slot, programme: Programme) -> dict[str, Any]:
    """One slot; instants in ISO 8601 with the venue's UTC offset of that day."""
    return {
        "id": slot.id,
        "start": slot.start.astimezone(programme.tz).isoformat(),
        "end": slot.end.astimezone(programme.tz).isoformat(),
        "end_estimated": slot.end_estimated,
        "room": slot.room,
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


def planned_json(
    p: Planned, instant: datetime, room: str, tz: ZoneInfo, banners: tuple[Banner, ...] = ()
) -> dict[str, Any]:
    """One meeting as it now stands.  A closed meeting's subject is not public: the screens
    say only that it is closed, and so does this."""
    status = p.status_at(instant)
    footnotes = [{"marker": f.marker, "text": f.text} for f in p.footnotes]
    notices = [p.note] if p.note else []
    if p.pointer and not p.closed:
        notices.append(p.pointer)
    if status not in (SlotStatus.ENDED, SlotStatus.CANCELLED, SlotStatus.MOVED):
        notices += [b.text for b in banners]
    return {
        "id": p.id,
        "status": status.value,
        "start": venue_time(p.start, tz).isoformat(),
        "end": venue_time(p.end, tz).isoformat(),
        "scheduled_start": venue_time(p.scheduled_start, tz).isoformat(),
        "scheduled_end": venue_time(p.scheduled_end, tz).isoformat(),
        "room": p.moved_to or room,
        "title": "" if p.closed else p.title,
        "agenda_items": [] if p.closed else list(p.agenda_items),
        "details": [] if p.closed else list(p.details),
        "footnotes": [] if p.closed else footnotes,
        "kind": p.kind,
        "closed": p.closed,
        "notices": notices,
    }


def room_now_json(room: str, state: ScreenState, instant: datetime, tz: ZoneInfo) -> dict[str, Any]:
    """``GET /api/rooms/{room}/now``."""

    def one(p: Planned | None) -> dict[str, Any] | None:
        return planned_json(p, instant, room, tz, state.banners) if p is not None else None

    return {
        "room": room,
        "at": venue_time(instant, tz).isoformat(),
        "status": state.status.value,
        "current": one(state.current),
        "next": one(state.next),
    }


def room_day_json(
    room: str, state: ScreenState, day: date, instant: datetime, tz: ZoneInfo
) -> dict[str, Any]:
    """``GET /api/rooms/{room}/slots?date=``: the day's meetings of the room, as they stand."""
    return {
        "room": room,
        "at": venue_time(instant, tz).isoformat(),
        "date": day.isoformat(),
        "slots": [planned_json(p, instant, room, tz, state.banners) for p in state.on(day)],
    }
