"""Turn an override request (the JSON of ``POST /api/overrides``, or the console's form) into an
``Override``, or refuse it with the field and the problem.  Pure: the caller passes ``now``, the
programmes, the overrides already made and the rooms the sender may act on.

The console and the API both call ``build_override``: one set of rules.

Which meeting an override acts on, when the request names no ``slot`` (``default_slot``):

* a correction acts on the meeting it corrects: a cancel or move sent after an earlier cancel
  or move of a meeting that has not ended yet acts on that meeting (not on the next one, which
  is what "the current or next" would be once the first is cancelled); a "late" sent after an
  earlier "late" for a meeting that has not started yet acts on that meeting;
* otherwise "late" acts on the meeting under way only in its first ``LATE_GRACE`` minutes and
  if no delay was announced for it (later, it has started: the delay is for the next one);
* extend, end, suspend, resume and pointer act on the meeting under way;
* the others on the meeting under way, or else the next one.

An announcement sent without ``expires`` is shown until the end of the room's meeting day
(``default_expiry``); ``"expires": "never"`` keeps it until it is undone (a standing notice).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from .overrides import (
    PRIORITIES,
    SLOT_KINDS,
    NotAllowed,
    Override,
    OverrideError,
    OverrideKind,
    UnknownRoom,
    cleared_ids,
    standing,
)
from .plan import FAMILIES, Planned, RoomPlan, plan_room
from .programme import Programme, local_instant, venue_time

FIELDS = {
    "room",
    "rooms",
    "kind",
    "minutes",
    "until",
    "to_room",
    "text",
    "priority",
    "expires",
    "target",
    "reason",
    "effective",
    "slot",
    "shift_rest",
}
MAX_TEXT = 500
MAX_LATE_MINUTES = 240
LATE_GRACE = timedelta(minutes=30)
NO_EXPIRY = "never"  # "expires": "never": shown until undone (a standing notice)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Kinds that act on the slot under way; the others may also act on the next one.
_NEEDS_CURRENT = {
    OverrideKind.EXTEND,
    OverrideKind.END,
    OverrideKind.SUSPEND,
    OverrideKind.RESUME,
    OverrideKind.POINTER,
}


def build_override(
    body: Mapping[str, Any],
    *,
    id: str,
    author: str,
    now: datetime,
    programmes: Mapping[str, Programme],
    room_names: Mapping[str, str],
    allowed_rooms: frozenset[str] | None,
    existing: Sequence[Override],
) -> Override:
    """``allowed_rooms`` None means every room (the secretariat)."""
    if not isinstance(body, Mapping):
        raise OverrideError("body", "expected a JSON object")
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise OverrideError(unknown[0], "unknown field")
    try:
        kind = OverrideKind(str(body.get("kind")))
    except ValueError:
        raise OverrideError("kind", f"must be one of {', '.join(OverrideKind)}") from None
    rooms = _rooms(body, programmes, allowed_rooms)
    tz = programmes[rooms[0]].tz
    now = venue_time(now, tz)
    effective = _instant(body, "effective", tz) or now
    values: dict[str, Any] = {
        "text": _text(body, "text"),
        "reason": _text(body, "reason"),
        "expires": None if body.get("expires") == NO_EXPIRY else _instant(body, "expires", tz),
        "until": _instant(body, "until", tz),
    }
    if values["expires"] is not None and values["expires"] <= now:
        raise OverrideError("expires", "is in the past")
    if values["expires"] is not None and values["expires"] <= effective:
        raise OverrideError("expires", "is before the override takes effect")
    if kind is OverrideKind.CLEAR:
        values["target"] = _target(body, existing, now, allowed_rooms)
    elif kind is OverrideKind.ANNOUNCE:
        if not values["text"]:
            raise OverrideError("text", "an announcement needs a text")
        priority = body.get("priority", "normal")
        if priority not in PRIORITIES:
            raise OverrideError("priority", "must be normal or urgent")
        values["priority"] = priority
        if values["expires"] is None and body.get("expires") != NO_EXPIRY:
            values["expires"] = default_expiry(rooms, programmes, existing, max(now, effective))
    else:
        _kind_fields(kind, body, rooms, programmes, values)
        to_room = values.get("to_room")
        if to_room and allowed_rooms is not None and to_room not in allowed_rooms:
            raise NotAllowed("to_room", f"you may not act on room {values['to_room']!r}")
    slots: tuple[tuple[str, str], ...] = ()
    if kind in SLOT_KINDS:
        slots = tuple(
            sorted(  # as ``Override.from_data`` reads them back: a stored override is equal
                (
                    room,
                    _slot(kind, body, room, programmes, room_names, existing, effective, values).id,
                )
                for room in rooms
            )
        )
    return Override(
        id=id,
        kind=kind,
        rooms=rooms,
        author=author,
        created=now,
        effective=effective,
        slots=slots,
        minutes=values.get("minutes"),
        until=values["until"],
        to_room=values.get("to_room"),
        text=values["text"],
        priority=values.get("priority", "normal"),
        expires=values["expires"],
        target=values.get("target"),
        reason=values["reason"],
        shift_rest=bool(values.get("shift_rest")),
    )


def default_expiry(
    rooms: Sequence[str],
    programmes: Mapping[str, Programme],
    existing: Sequence[Override],
    at: datetime,
) -> datetime:
    """When an announcement shown from ``at`` without an expiry of its own stops being shown:
    the end of the meeting day in its rooms.  That is the end of the last meeting held in them
    on ``at``'s day at the venue (as planned at ``at``: a meeting extended or running late ends
    later; a cancelled one or one moved away does not count, one moved here does), if one ends
    after ``at``; otherwise (the evening, or a day without meetings) the end of the venue's day,
    its next midnight, daylight-saving changes included.  For several rooms, the latest end of
    their meetings: no room loses the announcement before its meetings are over, and a room
    with none left that day does not keep it up all evening in the others."""
    held: list[datetime] = []
    midnights: list[datetime] = []
    for room in rooms:
        tz = programmes[room].tz
        day = venue_time(at, tz).date()
        plan = plan_room(room, programmes, existing, at)
        held += [p.end for p in plan.on(day) if p.takes_place and p.end > at]
        # The next midnight at the venue, as an instant: a wall time read with the offset in
        # force before it (``fold=0``), so a midnight that a daylight-saving change skips
        # is the instant of the change, when the next day begins.
        midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
        midnights.append(venue_time(midnight.astimezone(UTC), tz))
    return venue_time(max(held or midnights), programmes[rooms[0]].tz)


def _rooms(
    body: Mapping[str, Any], programmes: Mapping[str, Programme], allowed: frozenset[str] | None
) -> tuple[str, ...]:
    raw = body.get("rooms", body.get("room"))
    if raw == "all":
        rooms = tuple(programmes)
    elif isinstance(raw, str) and raw:
        rooms = (raw,)
    elif isinstance(raw, list) and raw and all(isinstance(r, str) for r in raw):
        rooms = tuple(dict.fromkeys(raw))
    else:
        raise OverrideError("room", 'give "room", a list of "rooms", or "all"')
    for room in rooms:
        if room not in programmes:
            raise UnknownRoom("room", f"unknown room {room!r}")
        if allowed is not None and room not in allowed:
            raise NotAllowed("room", f"you may not act on room {room!r}")
    return rooms


def _text(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise OverrideError(key, "expected a string")
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise OverrideError(key, f"longer than {MAX_TEXT} characters")
    if _CONTROL.search(value):
        raise OverrideError(key, "contains control characters")
    return value


def _instant(body: Mapping[str, Any], key: str, tz: Any) -> datetime | None:
    value = body.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise OverrideError(key, "expected an ISO 8601 time")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise OverrideError(key, f"{value!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:  # a wall-clock time at the venue
        try:
            parsed = local_instant(parsed.date(), parsed.time(), tz)
        except ValueError as exc:
            raise OverrideError(key, str(exc)) from None
    return venue_time(parsed, tz)  # screens read wall-clock fields: keep the venue's offset


def _target(
    body: Mapping[str, Any],
    existing: Sequence[Override],
    now: datetime,
    allowed: frozenset[str] | None,
) -> str:
    target = body.get("target")
    if not isinstance(target, str) or not target:
        raise OverrideError("target", "give the id of the override to clear")
    found = next((o for o in existing if o.id == target), None)
    if found is None:
        raise OverrideError("target", f"no override {target!r}")
    if found.kind is OverrideKind.CLEAR or target in cleared_ids(existing, now):
        raise OverrideError("target", "is already cleared")
    if allowed is not None and not set(found.rooms) <= allowed:
        raise NotAllowed("target", "that override concerns rooms you may not act on")
    return target


def _kind_fields(
    kind: OverrideKind,
    body: Mapping[str, Any],
    rooms: tuple[str, ...],
    programmes: Mapping[str, Programme],
    values: dict[str, Any],
) -> None:
    if kind is OverrideKind.LATE:
        minutes = body.get("minutes")
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise OverrideError("minutes", "expected a whole number of minutes")
        if not 1 <= minutes <= MAX_LATE_MINUTES:
            raise OverrideError("minutes", f"must be between 1 and {MAX_LATE_MINUTES}")
        values["minutes"] = minutes
        values["shift_rest"] = body.get("shift_rest", False) is True
    elif kind is OverrideKind.EXTEND and values["until"] is None:
        raise OverrideError("until", "give the time the meeting now runs until")
    elif kind is OverrideKind.MOVE:
        to_room = body.get("to_room")
        if not isinstance(to_room, str) or not to_room:
            raise OverrideError("to_room", "give the room the meeting moves to")
        if to_room not in programmes:
            raise UnknownRoom("to_room", f"unknown room {to_room!r}")
        if len(rooms) != 1 or to_room in rooms:
            raise OverrideError("to_room", "move one room's meeting to another room")
        values["to_room"] = to_room
    elif kind is OverrideKind.POINTER and not values["text"]:
        raise OverrideError("text", "say what is under discussion")


def _slot(
    kind: OverrideKind,
    body: Mapping[str, Any],
    room: str,
    programmes: Mapping[str, Programme],
    names: Mapping[str, str],
    existing: Sequence[Override],
    effective: datetime,
    values: dict[str, Any],
) -> Planned:
    """The slot the override acts on in ``room``, checked against what the override says."""
    name = names.get(room, room)
    plan = plan_room(room, programmes, existing, effective)
    slot = body.get("slot")
    if slot is not None:
        if not isinstance(slot, str) or not slot:
            raise OverrideError("slot", "expected a slot id (a string)")
        chosen = plan.find(slot)
        if chosen is None:
            raise OverrideError("slot", f"no slot {slot!r} in {name}")
    else:
        chosen = default_slot(kind, room, plan, existing, effective)
        if chosen is None and kind in _NEEDS_CURRENT:
            raise OverrideError("room", f"no meeting is under way in {name}")
        if chosen is None:
            raise OverrideError("room", f"no meeting is left in the programme of {name}")
    until = values["until"]
    if kind is OverrideKind.RESUME and not chosen.suspended:
        raise OverrideError("kind", f"the meeting in {name} is not suspended")
    if kind is OverrideKind.EXTEND:
        if until <= chosen.start or until <= effective:
            raise OverrideError("until", "is before the meeting's start or in the past")
        following = next((p for p in plan.slots if p.takes_place and p.start > chosen.start), None)
        if following is not None and until > following.start:
            raise OverrideError("until", f"runs into the next meeting in {name}")
    if kind is OverrideKind.SUSPEND and until is not None and until <= effective:
        raise OverrideError("until", "the expected resume time is in the past")
    late = timedelta(minutes=values.get("minutes") or 0)
    if kind is OverrideKind.LATE and chosen.scheduled_start + late >= chosen.end:
        raise OverrideError("minutes", "the meeting would start after its end")
    if kind is OverrideKind.END and effective <= chosen.start:
        raise OverrideError("effective", "is before the meeting's start")
    if kind is OverrideKind.MOVE:
        target = plan_room(values["to_room"], programmes, existing, effective)
        clash = next(
            (
                p
                for p in target.slots
                if p.takes_place
                and p.start < chosen.end
                and chosen.start < p.end
                and not (p.moved_from == room and p.slot == chosen.slot)  # itself, moved before
            ),
            None,
        )
        if clash is not None:
            to_room = values["to_room"]
            raise OverrideError("to_room", f"{names.get(to_room, to_room)} is in use then")
    return chosen


def default_slot(
    kind: OverrideKind,
    room: str,
    plan: RoomPlan,
    existing: Sequence[Override],
    effective: datetime,
) -> Planned | None:
    """The meeting an override with no ``slot`` acts on in ``room`` (see the module's text)."""
    family = FAMILIES.get(kind)
    if family is not None and kind not in _NEEDS_CURRENT:
        for earlier in reversed(standing(existing, effective)):
            slot_id = earlier.slot_in(room)
            if FAMILIES.get(earlier.kind) != family or slot_id is None:
                continue
            corrected = plan.find(slot_id)
            if corrected is None:
                continue
            still_open = (
                corrected.start > effective
                if kind is OverrideKind.LATE
                else corrected.end > effective
            )
            if still_open:
                return corrected
            break  # the latest word on that question concerns a meeting now past
    current = plan.current(effective)
    if kind in _NEEDS_CURRENT:
        return current
    if kind is OverrideKind.LATE and current is not None:
        announced = current.start != current.scheduled_start
        if announced or effective - current.scheduled_start >= LATE_GRACE:
            current = None  # under way: the delay is for the next meeting
    return current or plan.next(effective)
