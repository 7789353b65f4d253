"""A room's plan: its programme's slots as the overrides in force have changed them.

``plan_room`` is pure: programmes, overrides and an instant in, a ``RoomPlan`` out.  A planned
slot keeps its printed slot (``scheduled_start``) beside the times screens should now show.

Two rules make successive overrides read as people mean them:

* The latest word on a question replaces the earlier ones: a second "late" on a slot replaces
  the first (delays do not add up), and a slot's fate (cancelled, or moved to another room) is
  what the latest cancel or move says, so a meeting moved twice is in one room, not two.
* Every instant kept here carries a fixed UTC offset (``programme.venue_time``), so comparing and
  subtracting two of them is exact even in the repeated hour of an autumn night.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cached_property
from zoneinfo import ZoneInfo

from .overrides import Override, OverrideKind, in_force
from .programme import Footnote, Programme, Slot, venue_time

# Overrides of a family replace one another on the same slot: only the latest counts.
FAMILIES: Mapping[OverrideKind, str] = {
    OverrideKind.LATE: "late",
    OverrideKind.CANCEL: "fate",
    OverrideKind.MOVE: "fate",
    OverrideKind.POINTER: "pointer",
    OverrideKind.CLOSED: "closed",
}
ONE_MINUTE = timedelta(minutes=1)


class SlotStatus(StrEnum):
    """What is happening to one meeting at an instant (the JSON API's ``status``)."""

    SCHEDULED = "scheduled"  # to come, as printed
    LATE = "late"  # to come, later than printed
    IN_SESSION = "in_session"
    EXTENDED = "extended"  # under way past its printed end
    SUSPENDED = "suspended"
    CLOSED = "closed"  # a closed meeting under way
    ENDED = "ended"
    CANCELLED = "cancelled"
    MOVED = "moved"  # held in another room


@dataclass(frozen=True)
class Planned:
    slot: Slot
    start: datetime
    end: datetime
    suspended: bool = False
    resume_at: datetime | None = None
    cancelled: bool = False
    note: str = ""  # what the cancelling override said ("postponed to Friday")
    moved_to: str | None = None  # room id
    moved_from: str | None = None  # room id
    closed: bool = False
    pointer: str = ""

    # A planned slot reads like its slot in templates.
    @property
    def id(self) -> str:
        """Unique in the room's plan: a slot moved here from another room is "source/slot id"
        (the room's own slot at that time may still be listed, cancelled or moved away)."""
        return moved_id(self.moved_from, self.slot.id) if self.moved_from else self.slot.id

    @property
    def title(self) -> str:
        return self.slot.title

    @property
    def end_estimated(self) -> bool:
        """The note printed the start alone, and no override has set the end since."""
        return self.slot.end_estimated and self.end == self.slot.end

    @property
    def details(self) -> tuple[str, ...]:
        return self.slot.details

    @property
    def agenda_items(self) -> tuple[str, ...]:
        return self.slot.agenda_items

    @property
    def footnotes(self) -> tuple[Footnote, ...]:
        return self.slot.footnotes

    @property
    def kind(self) -> str:
        return self.slot.kind

    @property
    def scheduled_start(self) -> datetime:
        return self.slot.start

    @property
    def scheduled_end(self) -> datetime:
        return self.slot.end

    @property
    def late_minutes(self) -> int:
        """How much later than printed it is expected to start, whatever the reason (its own
        delay, an earlier meeting's delay passed on, or an earlier meeting running over)."""
        return max(0, int((self.start - self.scheduled_start).total_seconds() // 60))

    @property
    def takes_place(self) -> bool:
        """Happens in this room (not cancelled, not moved away)."""
        return not self.cancelled and self.moved_to is None

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant < self.end

    def status_at(self, instant: datetime) -> SlotStatus:
        if self.cancelled:
            return SlotStatus.CANCELLED
        if self.moved_to is not None:
            return SlotStatus.MOVED
        if self.end <= instant:
            return SlotStatus.ENDED
        if self.start <= instant:
            if self.suspended:
                return SlotStatus.SUSPENDED
            if self.closed:
                return SlotStatus.CLOSED
            return SlotStatus.EXTENDED if self.end > self.scheduled_end else SlotStatus.IN_SESSION
        return SlotStatus.LATE if self.start > self.scheduled_start else SlotStatus.SCHEDULED


@dataclass(frozen=True)
class Banner:
    id: str
    text: str
    priority: str
    expires: datetime | None


@dataclass(frozen=True)
class RoomPlan:
    slots: tuple[Planned, ...]  # by planned start; cancelled and moved-away ones included
    banners: tuple[Banner, ...]

    # Indexes, built once a plan (a display's states to come ask a plan at dozens of instants;
    # a programme may have thousands of slots).
    @cached_property
    def _starts(self) -> list[datetime]:
        return [p.start for p in self.slots]

    @cached_property
    def _ends_so_far(self) -> list[datetime | None]:
        """For each position, the latest end of the slots taking place up to it."""
        latest: datetime | None = None
        ends: list[datetime | None] = []
        for p in self.slots:
            if p.takes_place and (latest is None or p.end > latest):
                latest = p.end
            ends.append(latest)
        return ends

    @cached_property
    def _by_day(self) -> dict[date, tuple[Planned, ...]]:
        days: dict[date, list[Planned]] = {}
        for p in self.slots:
            days.setdefault(p.start.date(), []).append(p)
        return {day: tuple(slots) for day, slots in days.items()}

    def current(self, instant: datetime) -> Planned | None:
        """The slot taking place at ``instant`` (the earliest, should two overlap)."""
        found = None
        j = bisect.bisect_right(self._starts, instant) - 1
        while j >= 0 and (end := self._ends_so_far[j]) is not None and end > instant:
            p = self.slots[j]
            if p.takes_place and p.contains(instant):
                found = p
            j -= 1
        return found

    def next(self, instant: datetime) -> Planned | None:
        i = bisect.bisect_right(self._starts, instant)
        return next((p for p in self.slots[i:] if p.takes_place), None)

    def on(self, day: date) -> tuple[Planned, ...]:
        """The slots planned to start on ``day`` (the venue's calendar: starts keep the venue's
        offset)."""
        return self._by_day.get(day, ())

    def find(self, slot_id: str) -> Planned | None:
        """By planned id; a bare slot id also finds a slot moved here under that id."""
        exact = next((p for p in self.slots if p.id == slot_id), None)
        if exact is not None:
            return exact
        return next((p for p in self.slots if p.moved_from and p.slot.id == slot_id), None)


def latest_of_families(active: Sequence[Override]) -> dict[tuple[str, str, str], str]:
    """(family, room, slot id) → the id of the latest override of that family on that slot."""
    latest: dict[tuple[str, str, str], str] = {}
    for o in active:
        family = FAMILIES.get(o.kind)
        if family is not None:
            for room, slot_id in o.slots:
                latest[(family, room, slot_id)] = o.id
    return latest


def _superseded(
    o: Override, room: str, slot_id: str, latest: Mapping[tuple[str, str, str], str]
) -> bool:
    family = FAMILIES.get(o.kind)
    return family is not None and latest.get((family, room, slot_id)) != o.id


def plan_room(
    room: str,
    programmes: Mapping[str, Programme],
    overrides: Sequence[Override],
    instant: datetime,
) -> RoomPlan:
    """The room's slots and banners at ``instant``, with every override in force applied."""
    return plan_active(room, programmes, in_force(overrides, instant))


def plan_active(
    room: str, programmes: Mapping[str, Programme], active: Sequence[Override]
) -> RoomPlan:
    """The room's plan with ``active`` (the overrides in force, in the order made) applied."""
    latest = latest_of_families(active)
    programme = programmes[room]
    tz = programme.tz
    planned = {s.id: Planned(s, s.start, s.end) for s in programme.slots}
    # Slots moved here from other rooms join this room's plan (by the latest word on their fate).
    for o in active:
        if o.kind is OverrideKind.MOVE and o.to_room == room:
            for source, slot_id in o.slots:
                if _superseded(o, source, slot_id, latest):
                    continue
                slot = programmes[source].slot_by_id(slot_id) if source in programmes else None
                if slot is not None:
                    planned[moved_id(source, slot_id)] = Planned(
                        slot, slot.start, slot.end, moved_from=source
                    )
    banners: list[Banner] = []
    passed_on: dict[str, int] = {}  # key → minutes of a delay passed on to the rest
    for o in active:
        if room not in o.rooms:
            continue
        if o.kind is OverrideKind.ANNOUNCE:
            if o.on_room_screens:  # not one for the hall boards only
                banners.append(Banner(o.id, o.text, o.priority, o.expires))
            continue
        target = o.slot_in(room)
        key = _key(planned, target) if target else None
        p = planned.get(key) if key else None
        if key is None or p is None or target is None:
            continue  # the slot is gone from a revised programme; the console flags it
        if _superseded(o, room, target, latest):
            continue
        planned[key] = _apply(o, p, tz)
        if o.kind is OverrideKind.LATE:
            passed_on.pop(key, None)
            if o.shift_rest and o.minutes:
                passed_on[key] = o.minutes
    planned = _pass_on(planned, passed_on, tz)
    ordered = _after_overruns(sorted(planned.values(), key=lambda p: (p.start, p.id)), tz)
    return RoomPlan(ordered, tuple(banners))


def _half_day(p: Planned) -> tuple[date, bool]:
    return p.scheduled_start.date(), p.scheduled_start.hour < 13


def _pass_on(
    planned: dict[str, Planned], delays: Mapping[str, int], tz: ZoneInfo
) -> dict[str, Planned]:
    """\"Late, and the rest of the half-day with it": each later slot of the same half-day is
    expected at least that much after its printed time.  The largest delay before a slot counts
    (two delays do not add up: the second meeting absorbs the first's)."""
    if not delays:
        return planned
    result = dict(planned)
    for key, p in planned.items():
        if p.moved_from is not None:
            continue
        shift = max(
            (
                minutes
                for late_key, minutes in delays.items()
                if planned[late_key].scheduled_start < p.scheduled_start
                and _half_day(planned[late_key]) == _half_day(p)
            ),
            default=0,
        )
        if shift:
            by = timedelta(minutes=shift)
            end = max(p.end, venue_time(p.scheduled_end + by, tz))
            start = min(max(p.start, venue_time(p.scheduled_start + by, tz)), end - ONE_MINUTE)
            result[key] = replace(p, start=venue_time(start, tz), end=end)
    return result


def _after_overruns(slots: Sequence[Planned], tz: ZoneInfo) -> tuple[Planned, ...]:
    """A meeting extended past the next one's start (or made late into it) pushes the next one
    back: it is expected when the first ends, and screens say so ("Expected to start at 3.30
    p.m.") rather than showing it as started, or not at all, while the first runs on."""
    result: list[Planned] = []
    busy_until: datetime | None = None
    for p in slots:
        if p.takes_place:
            if busy_until is not None and p.start < busy_until:
                p = replace(p, start=venue_time(min(busy_until, p.end - ONE_MINUTE), tz))
            busy_until = p.end if busy_until is None else max(busy_until, p.end)
        result.append(p)
    return tuple(sorted(result, key=lambda p: (p.start, p.id)))


def _key(planned: Mapping[str, Planned], slot_id: str) -> str:
    """Where a slot id is in the plan: the room's own slot, or a slot moved here (keyed by its
    source room), which is what a later override in this room acts on."""
    own = planned.get(slot_id)
    if own is not None and own.takes_place:
        return slot_id
    moved = (k for k, p in planned.items() if p.moved_from is not None and p.slot.id == slot_id)
    return next(moved, slot_id)


def moved_id(source: str, slot_id: str) -> str:
    return f"{source}/{slot_id}"


def split_id(planned_id: str) -> tuple[str | None, str]:
    """(source room, slot id) of a planned slot's id; no source for the room's own slots."""
    source, sep, slot_id = planned_id.rpartition("/")
    return (source, slot_id) if sep else (None, planned_id)


def _apply(o: Override, p: Planned, tz: ZoneInfo) -> Planned:
    kind = o.kind
    if kind is OverrideKind.LATE:
        # Relative to the printed start: the latest delay replaces the earlier ones.
        start = venue_time(p.scheduled_start + timedelta(minutes=o.minutes or 0), tz)
        return replace(p, start=min(start, venue_time(p.end - ONE_MINUTE, tz)))
    if kind is OverrideKind.EXTEND and o.until is not None:
        return replace(p, end=venue_time(o.until, tz))
    if kind is OverrideKind.END:
        ended = min(p.end, max(venue_time(o.effective, tz), p.start))
        return replace(p, end=ended, suspended=False)
    if kind is OverrideKind.SUSPEND:
        resume = venue_time(o.until, tz) if o.until is not None else None
        return replace(p, suspended=True, resume_at=resume)
    if kind is OverrideKind.RESUME:
        return replace(p, suspended=False, resume_at=None)
    if kind is OverrideKind.CANCEL:
        return replace(p, cancelled=True, note=o.text, moved_to=None)
    if kind is OverrideKind.MOVE:
        return replace(p, moved_to=o.to_room, cancelled=False, note="")
    if kind is OverrideKind.CLOSED:
        return replace(p, closed=True)
    if kind is OverrideKind.POINTER:
        return replace(p, pointer=o.text)
    return p


def change_instants(plan: RoomPlan, overrides: Sequence[Override]) -> set[datetime]:
    """Every instant at which the room's screens may change because of the plan or the overrides:
    planned starts and ends, the printed end of a meeting that ended early (until then the
    screens say so), and when overrides take effect or expire."""
    instants = {t for p in plan.slots for t in (p.start, p.end)}
    instants |= {p.scheduled_end for p in plan.slots if p.takes_place and p.end < p.scheduled_end}
    for o in overrides:
        instants.add(o.effective)
        if o.expires is not None:
            instants.add(o.expires)
    return instants
