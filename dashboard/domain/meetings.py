"""Every meeting of the site as the overrides in force have made it, for the feeds other tools
read (calendars: ``ical.py``; schedule apps: ``frab.py``).

A meeting is one printed slot, wherever it is held: a slot moved from ``cr4`` to ``cr1`` is one
meeting (held in ``cr1``), not two.  Its ``key`` (the printing room and the slot id) stays the
same across overrides and revised programmes (slot ids are stable: ``identity.py``), so feeds
can give it a stable UID.

What a meeting looks like comes from ``plan_room``, the plan every view reads (the screens'
``screen_state`` takes its slots from it).  ``revisions`` replays the override log to say how
many times each meeting has changed (a calendar's SEQUENCE) and when it last did (DTSTAMP).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from .overrides import Override, OverrideKind
from .plan import Planned, moved_id, plan_room
from .programme import Programme

# Overrides that cannot change a meeting's time, room or fate (announcements are banners;
# "under discussion now" changes within a meeting and would make calendars churn).
NOT_MEETING_CHANGES = frozenset({OverrideKind.ANNOUNCE, OverrideKind.POINTER})


@dataclass(frozen=True)
class Meeting:
    key: str  # "printing room/slot id": stable across edits
    source: str  # the room whose programme prints it
    room: str  # where it is held (a cancelled meeting stays in its room)
    planned: Planned
    tz: str  # the venue's IANA zone (of the printing room's programme)

    @property
    def cancelled(self) -> bool:
        return self.planned.cancelled

    @property
    def moved(self) -> bool:
        return self.room != self.source

    def shape(self) -> tuple[object, ...]:
        """What a calendar or a schedule app shows of it: a change here is a new revision."""
        p = self.planned
        return (p.start, p.end, p.cancelled, self.room, p.closed, p.note)

    def guid(self, namespace: str) -> uuid.UUID:
        """A stable UUID (version 5) of the meeting, within the site named by ``namespace``."""
        return uuid.uuid5(uuid.NAMESPACE_URL, f"{namespace}#{self.key}")


@dataclass(frozen=True)
class Revision:
    sequence: int  # how many times it changed (0: as printed, never changed)
    stamp: datetime | None  # when it last changed (None: never)


def meetings(
    rooms: Sequence[str],
    programmes: Mapping[str, Programme],
    overrides: Sequence[Override],
    instant: datetime,
) -> list[Meeting]:
    """Every meeting of ``rooms`` at ``instant`` (the overrides in force then), each once, in
    order of start."""
    plans = {room: plan_room(room, programmes, overrides, instant).slots for room in rooms}
    return _from_plans(rooms, programmes, plans)


def _from_plans(
    rooms: Sequence[str],
    programmes: Mapping[str, Programme],
    plans: Mapping[str, tuple[Planned, ...]],
) -> list[Meeting]:
    found: dict[str, Meeting] = {}
    for room in rooms:
        tz = programmes[room].timezone
        for p in plans[room]:
            if p.moved_from is not None:  # held here, printed in another room
                key = moved_id(p.moved_from, p.slot.id)
                found[key] = Meeting(key, p.moved_from, room, p, tz)
                continue
            key = moved_id(room, p.slot.id)
            if p.moved_to is not None:
                # Held in the other room (its plan there wins, with its times); a room outside
                # the site has no plan: the printing room's word then.
                if key not in found:
                    found[key] = Meeting(key, room, p.moved_to, p, tz)
                continue
            found[key] = Meeting(key, room, room, p, tz)
    return sorted(found.values(), key=lambda m: (m.planned.start, m.key))


def revisions(
    rooms: Sequence[str],
    programmes: Mapping[str, Programme],
    overrides: Sequence[Override],
    instant: datetime,
) -> dict[str, Revision]:
    """Per meeting key: how many times what a calendar shows of it changed, by ``instant``,
    and when it last did.  The log is replayed at each instant an override took effect,
    expired or was undone, so a delay passed on to the rest of a morning, or an undo, counts as
    a change of each meeting it moved; a count never goes down.  At each instant only the rooms
    of the overrides taking effect or expiring then are planned again, and only their meetings
    compared (bench/feeds.py)."""
    relevant = [o for o in overrides if o.kind not in NOT_MEETING_CHANGES]
    by_id = {o.id: o for o in relevant}
    touched: dict[datetime, set[str]] = {}
    for o in relevant:
        where = _rooms_of(o, by_id) & set(rooms)
        for at in (o.effective, o.expires):
            if at is not None and at <= instant and where:
                touched.setdefault(at, set()).update(where)
    # key → room → (rank, shape): what each room's plan says of the meeting.  The meeting is
    # the highest rank's word, the later room's among equals, as in ``_from_plans`` (held there
    # beats moved away from there).
    order = {room: i for i, room in enumerate(rooms)}
    said: dict[str, dict[str, tuple[int, tuple[object, ...]]]] = {}
    keys_of: dict[str, set[str]] = {room: set() for room in rooms}

    def listen(room: str, plan: Sequence[Planned]) -> set[str]:
        """Replace what ``room`` says; the keys it spoke of, before or now."""
        spoken = keys_of[room]
        for key in spoken:
            said[key].pop(room, None)
        keys_of[room] = set()
        for key, word in _words(room, programmes, plan):
            said.setdefault(key, {})[room] = word
            keys_of[room].add(key)
        return spoken | keys_of[room]

    def meeting_shape(key: str) -> tuple[object, ...] | None:
        words = said.get(key, {})
        if not words:
            return None
        return max(words.items(), key=lambda item: (item[1][0], order[item[0]]))[1][1]

    for room in rooms:
        listen(room, plan_room(room, programmes, (), instant).slots)
    shapes = {key: meeting_shape(key) for key in said}
    counts: dict[str, Revision] = {}
    for at in sorted(touched):
        keys: set[str] = set()
        for room in touched[at]:
            keys |= listen(room, plan_room(room, programmes, relevant, at).slots)
        for key in keys:
            shape = meeting_shape(key)
            if shapes.get(key) != shape:
                shapes[key] = shape
                counts[key] = Revision(counts.get(key, Revision(0, None)).sequence + 1, at)
    return counts


def _words(
    room: str, programmes: Mapping[str, Programme], plan: Sequence[Planned]
) -> list[tuple[str, tuple[int, tuple[object, ...]]]]:
    """What a room's plan says of each meeting: (key, (rank, shape)), as ``_from_plans``."""
    tz = programmes[room].timezone
    words = []
    for p in plan:
        if p.moved_from is not None:
            meeting, rank = Meeting(moved_id(p.moved_from, p.slot.id), p.moved_from, room, p, tz), 2
        elif p.moved_to is not None:
            meeting, rank = Meeting(moved_id(room, p.slot.id), room, p.moved_to, p, tz), 1
        else:
            meeting, rank = Meeting(moved_id(room, p.slot.id), room, room, p, tz), 2
        words.append((meeting.key, (rank, meeting.shape())))
    return words


def _rooms_of(o: Override, by_id: Mapping[str, Override]) -> set[str]:
    """The rooms whose plans an override can change: its rooms, a move's target, and for an
    undo those of the override it undoes."""
    rooms = set(o.rooms) | ({o.to_room} if o.to_room else set())
    target = by_id.get(o.target or "")
    if o.kind is OverrideKind.CLEAR and target is not None:
        rooms |= _rooms_of(target, by_id)
    return rooms


def in_room(all_meetings: Sequence[Meeting], room: str) -> list[Meeting]:
    """The meetings a room's feed lists: printed there (held there, cancelled, or moved away)
    or moved there."""
    return [m for m in all_meetings if room in (m.source, m.room)]
