"""Turn an override request (the JSON of ``POST /api/overrides``, or the console's form) into an
``Override``, or refuse it with the field and the problem.  Pure: the caller passes ``now``, the
programmes, the overrides already made and the rooms the sender may act on.

The console and the API both call ``build_override``: one set of rules.  A request is read in two
steps, and every refusal is an ``OverrideError`` naming the field (400 unless said otherwise):

1. its shape (``OverrideRequest``): the known fields only, each of its type, read from the JSON
   bytes (``decode_request``) or from a mapping such as the console's form (``parse_request``);
   strings must be text (no lone surrogates);
2. its meaning (``build_override``): the fields the kind takes and no other, exactly one of
   ``room`` and ``rooms``, numbers and instants within range (instants within the programmes'
   dates, give or take a year), and the rules against the programme, the clock and the
   overrides already made.

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
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from .overrides import (
    BOARDS,
    PRIORITIES,
    ROOM_SCREENS,
    SCREENS,
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
from .request_shape import (
    ANY_KIND_FIELDS,
    EXPECTED,
    FIELDS,
    KIND_FIELDS,
    MAX_LATE_MINUTES,
    OverrideRequest,
    decode_request,
    parse_request,
    request_fingerprint,
)

__all__ = [
    "ANY_KIND_FIELDS",
    "FIELDS",
    "KIND_FIELDS",
    "MAX_LATE_MINUTES",
    "OverrideRequest",
    "build_override",
    "decode_request",
    "default_expiry",
    "default_slot",
    "may_clear",
    "parse_request",
    "request_fingerprint",
]

MAX_TEXT = 500
MAX_ID = 100  # room, slot and override ids: far longer than any real one
MAX_INSTANT = 40  # characters of an ISO 8601 time, offset and fraction included
MAX_ANNOUNCEMENTS = 20  # standing announcements per room: each is on every page of the room
DATE_SLACK = timedelta(days=366)  # instants within the programmes' dates, give or take a year
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
    body: OverrideRequest | Mapping[str, Any],
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
    request = parse_request(body)
    try:
        kind = OverrideKind(request.kind or "")
    except ValueError:
        raise OverrideError("kind", EXPECTED["kind"]) from None
    for field in request.given():
        if field not in ANY_KIND_FIELDS and field not in KIND_FIELDS[kind]:
            raise OverrideError(field, f"not used by kind {kind.value!r}")
    screens = _screens(request, allowed_rooms)
    rooms = _rooms(request, programmes, allowed_rooms, whole_building=screens != ROOM_SCREENS)
    tz = programmes[rooms[0]].tz
    span = _span(programmes)
    now = venue_time(now, tz)
    effective = _instant(request.effective, "effective", tz, span) or now
    values: dict[str, Any] = {
        "text": _text(request.text, "text"),
        "reason": _text(request.reason, "reason"),
        "until": _instant(request.until, "until", tz, span),
    }
    # The one place an override's expiry is decided (a default for a kind would go here).
    never = request.expires == NO_EXPIRY  # a standing notice, shown until undone
    expires = None if never else _instant(request.expires, "expires", tz, span)
    if expires is not None and expires <= now:
        raise OverrideError("expires", "is in the past")
    if expires is not None and expires <= effective:
        raise OverrideError("expires", "is before the override takes effect")
    if kind is OverrideKind.CLEAR:
        values["target"] = _target(request.target, existing, now, allowed_rooms)
    elif kind is OverrideKind.ANNOUNCE:
        if not values["text"]:
            raise OverrideError("text", "an announcement needs a text")
        priority = "normal" if request.priority is None else request.priority
        if priority not in PRIORITIES:
            raise OverrideError("priority", EXPECTED["priority"])
        values["priority"] = priority
        _room_for_announcement(rooms, screens, existing, now, room_names)
        if expires is None and not never:
            expires = default_expiry(rooms, programmes, existing, max(now, effective))
    else:
        _kind_fields(kind, request, rooms, programmes, values)
        to_room = values.get("to_room")
        if to_room and allowed_rooms is not None and to_room not in allowed_rooms:
            raise NotAllowed("to_room", f"you may not act on room {values['to_room']!r}")
    slots: tuple[tuple[str, str], ...] = ()
    if kind in SLOT_KINDS:
        slots = tuple(
            sorted(  # as ``Override.from_data`` reads them back: a stored override is equal
                (
                    room,
                    _slot(
                        kind, request, room, programmes, room_names, existing, effective, values
                    ).id,
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
        expires=expires,
        target=values.get("target"),
        reason=values["reason"],
        shift_rest=bool(values.get("shift_rest")),
        screens=screens,
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


def _screens(request: OverrideRequest, allowed: frozenset[str] | None) -> str:
    """Where an announcement shows (``SCREENS``; default: its rooms' displays).  The hall
    boards show every room: only those who may act on every room post to them."""
    screens = ROOM_SCREENS if request.screens is None else request.screens
    if screens not in SCREENS:
        raise OverrideError("screens", EXPECTED["screens"])
    if screens != ROOM_SCREENS and allowed is not None:
        raise NotAllowed("screens", "only the secretariat may announce on the hall boards")
    return screens


def _rooms(
    request: OverrideRequest,
    programmes: Mapping[str, Programme],
    allowed: frozenset[str] | None,
    whole_building: bool = False,
) -> tuple[str, ...]:
    """The rooms a request names; ``whole_building`` (an announcement to the hall boards, or
    to every screen): every room, and a room named other than "all" is refused."""
    if request.room is not None and request.rooms is not None:
        raise OverrideError("rooms", 'give "room" or "rooms", not both')
    raw = request.rooms if request.rooms is not None else request.room
    field = "rooms" if request.rooms is not None else "room"
    if whole_building:
        if raw not in (None, "all"):
            raise OverrideError(
                field, 'the hall boards show every room: give "all", or no room at all'
            )
        raw = "all"
    if raw == "all":
        rooms = tuple(programmes)
    elif isinstance(raw, str) and raw:
        rooms = (raw,)
    elif isinstance(raw, list) and raw and all(raw):
        rooms = tuple(dict.fromkeys(raw))
    else:
        raise OverrideError(field, EXPECTED["rooms"])
    for room in rooms:
        if len(room) > MAX_ID:
            raise OverrideError(field, f"a room id is at most {MAX_ID} characters")
        if room not in programmes:
            raise UnknownRoom("room", f"unknown room {room!r}")
        if allowed is not None and room not in allowed:
            raise NotAllowed("room", f"you may not act on room {room!r}")
    return rooms


def _text(value: str | None, key: str) -> str:
    if value is None:
        return ""
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise OverrideError(key, f"longer than {MAX_TEXT} characters")
    if _CONTROL.search(value):
        raise OverrideError(key, "contains control characters")
    return value


def _span(programmes: Mapping[str, Programme]) -> tuple[date, date]:
    """The dates an instant in a request may fall on: the programmes' dates, give or take
    ``DATE_SLACK``, and never so near the calendar's ends that a UTC offset overflows it."""
    first = min((p.start_date for p in programmes.values()), default=date.min)
    last = max((p.end_date for p in programmes.values()), default=date.max)
    edge = timedelta(days=2)
    low = first - DATE_SLACK if first > date.min + DATE_SLACK + edge else date.min + edge
    high = last + DATE_SLACK if last < date.max - DATE_SLACK - edge else date.max - edge
    return low, high


def _instant(value: str | None, key: str, tz: Any, span: tuple[date, date]) -> datetime | None:
    if value is None or value == "":
        return None
    if len(value) > MAX_INSTANT:
        raise OverrideError(key, EXPECTED[key])
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise OverrideError(key, f"{value!r} is not an ISO 8601 time") from None
    low, high = span
    # Checked on the date as written, before any conversion: a UTC offset moves it by less than
    # a day, and the span keeps clear of the calendar's ends (year 1, year 9999).
    if not low <= parsed.date() <= high:
        raise OverrideError(
            key, f"must fall between {low} and {high} (the programme's dates, give or take a year)"
        )
    if parsed.tzinfo is None:  # a wall-clock time at the venue
        try:
            parsed = local_instant(parsed.date(), parsed.time(), tz)
        except ValueError as exc:
            raise OverrideError(key, str(exc)) from None
    return venue_time(parsed, tz)  # screens read wall-clock fields: keep the venue's offset


def _target(
    target: str | None,
    existing: Sequence[Override],
    now: datetime,
    allowed: frozenset[str] | None,
) -> str:
    if not target:
        raise OverrideError("target", EXPECTED["target"])
    if len(target) > MAX_ID:
        raise OverrideError("target", f"an override id is at most {MAX_ID} characters")
    found = next((o for o in existing if o.id == target), None)
    if found is None:
        raise OverrideError("target", f"no override {target!r}")
    if found.kind is OverrideKind.CLEAR or target in cleared_ids(existing, now):
        raise OverrideError("target", "is already cleared")
    if not may_clear(found, allowed):
        raise NotAllowed("target", "that override concerns rooms you may not act on")
    return target


def may_clear(target: Override, allowed: frozenset[str] | None) -> bool:
    """Whether one who may act on the rooms ``allowed`` (None: every room) may undo
    ``target``: only if it acts on none but those rooms."""
    return allowed is None or set(target.rooms) <= allowed


def _room_for_announcement(
    rooms: tuple[str, ...],
    screens: str,
    existing: Sequence[Override],
    now: datetime,
    names: Mapping[str, str],
) -> None:
    """At most ``MAX_ANNOUNCEMENTS`` standing (in force, or to come) in any room, and on the
    hall boards: every one is on every page and frame of the room (of the boards)."""
    announcements = [o for o in standing(existing, now) if o.kind is OverrideKind.ANNOUNCE]
    if screens != ROOM_SCREENS and sum(o.on_boards for o in announcements) >= MAX_ANNOUNCEMENTS:
        raise OverrideError(
            "screens",
            f"the hall boards already have {MAX_ANNOUNCEMENTS} announcements in force,"
            " the most they may have: clear one first",
        )
    if screens == BOARDS:
        return
    announcements = [o for o in announcements if o.on_room_screens]
    for room in rooms:
        if sum(room in o.rooms for o in announcements) >= MAX_ANNOUNCEMENTS:
            raise OverrideError(
                "room",
                f"{names.get(room, room)} already has {MAX_ANNOUNCEMENTS} announcements in force,"
                " the most a room may have: clear one first",
            )


def _kind_fields(
    kind: OverrideKind,
    request: OverrideRequest,
    rooms: tuple[str, ...],
    programmes: Mapping[str, Programme],
    values: dict[str, Any],
) -> None:
    if kind is OverrideKind.LATE:
        minutes = request.minutes
        if minutes is None:
            raise OverrideError("minutes", EXPECTED["minutes"])
        if not 1 <= minutes <= MAX_LATE_MINUTES:
            raise OverrideError("minutes", f"must be between 1 and {MAX_LATE_MINUTES}")
        values["minutes"] = minutes
        values["shift_rest"] = bool(request.shift_rest)
    elif kind is OverrideKind.EXTEND and values["until"] is None:
        raise OverrideError("until", "give the time the meeting now runs until")
    elif kind is OverrideKind.MOVE:
        to_room = request.to_room
        if not to_room:
            raise OverrideError("to_room", EXPECTED["to_room"])
        if len(to_room) > MAX_ID:
            raise OverrideError("to_room", f"a room id is at most {MAX_ID} characters")
        if to_room not in programmes:
            raise UnknownRoom("to_room", f"unknown room {to_room!r}")
        if len(rooms) != 1 or to_room in rooms:
            raise OverrideError("to_room", "move one room's meeting to another room")
        values["to_room"] = to_room
    elif kind is OverrideKind.POINTER and not values["text"]:
        raise OverrideError("text", "say what is under discussion")


def _slot(
    kind: OverrideKind,
    request: OverrideRequest,
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
    slot = request.slot
    if slot is not None:
        if not slot:
            raise OverrideError("slot", EXPECTED["slot"])
        if len(slot) > MAX_ID:
            raise OverrideError("slot", f"a slot id is at most {MAX_ID} characters")
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
