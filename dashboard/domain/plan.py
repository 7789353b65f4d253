"""A room's plan: its programme's slots as the overrides in force have changed them.

``plan_room`` is pure: programmes, overrides and an instant in, a ``RoomPlan`` out.  A planned
slot keeps its printed slot (``scheduled_start``) beside the times screens should now show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from .overrides import Override, OverrideKind, in_force
from .programme import Footnote, Programme, Slot


@dataclass(frozen=True)
class Planned:
    slot: Slot
    start: datetime
    end: datetime
    late_minutes: int = 0
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
        return self.slot.id

    @property
    def title(self) -> str:
        return self.slot.title

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
    def takes_place(self) -> bool:
        """Happens in this room (not cancelled, not moved away)."""
        return not self.cancelled and self.moved_to is None

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


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

    def current(self, instant: datetime) -> Planned | None:
        return next((p for p in self.slots if p.takes_place and p.contains(instant)), None)

    def next(self, instant: datetime) -> Planned | None:
        return next((p for p in self.slots if p.takes_place and p.start > instant), None)

    def on(self, day: date) -> tuple[Planned, ...]:
        return tuple(p for p in self.slots if p.start.date() == day)

    def find(self, slot_id: str) -> Planned | None:
        return next((p for p in self.slots if p.id == slot_id), None)


def _half_day(p: Planned) -> tuple[date, bool]:
    return p.scheduled_start.date(), p.scheduled_start.hour < 13


def plan_room(
    room: str,
    programmes: Mapping[str, Programme],
    overrides: Sequence[Override],
    instant: datetime,
) -> RoomPlan:
    """The room's slots and banners at ``instant``, with every override in force applied."""
    active = in_force(overrides, instant)
    programme = programmes[room]
    planned = {s.id: Planned(s, s.start, s.end) for s in programme.slots}
    # Slots moved here from other rooms join this room's plan.
    for o in active:
        if o.kind is OverrideKind.MOVE and o.to_room == room:
            for source, slot_id in o.slots:
                slot = programmes[source].slot_by_id(slot_id) if source in programmes else None
                if slot is not None:
                    planned[f"{source}/{slot_id}"] = Planned(
                        slot, slot.start, slot.end, moved_from=source
                    )
    banners: list[Banner] = []
    for o in active:
        if room not in o.rooms:
            continue
        if o.kind is OverrideKind.ANNOUNCE:
            banners.append(Banner(o.id, o.text, o.priority, o.expires))
            continue
        target = o.slot_in(room)
        key = _key(planned, target) if target else None
        p = planned.get(key) if key else None
        if key is None or p is None:
            continue  # the slot is gone from a revised programme; the console flags it
        planned[key] = _apply(o, p)
        if o.kind is OverrideKind.LATE and o.shift_rest and o.minutes:
            shift = timedelta(minutes=o.minutes)
            for key, other in planned.items():
                if (
                    other.scheduled_start > p.scheduled_start
                    and _half_day(other) == _half_day(p)
                    and other.moved_from is None
                ):
                    planned[key] = replace(other, start=other.start + shift, end=other.end + shift)
    ordered = _after_overruns(sorted(planned.values(), key=lambda p: (p.start, p.id)))
    return RoomPlan(ordered, tuple(banners))


def _after_overruns(slots: Sequence[Planned]) -> tuple[Planned, ...]:
    """A meeting extended past the next one's start (or made late into it) pushes the next one
    back: it is expected when the first ends, and screens say so ("Expected to start at 3.30
    p.m.") rather than showing it as started, or not at all, while the first runs on."""
    result: list[Planned] = []
    busy_until: datetime | None = None
    for p in slots:
        if p.takes_place:
            if busy_until is not None and p.start < busy_until:
                start = min(busy_until, p.end - timedelta(minutes=1))
                late = int((start - p.scheduled_start).total_seconds() // 60)
                p = replace(p, start=start, late_minutes=max(p.late_minutes, late))
            busy_until = p.end if busy_until is None else max(busy_until, p.end)
        result.append(p)
    return tuple(sorted(result, key=lambda p: (p.start, p.id)))


def _key(planned: Mapping[str, Planned], slot_id: str) -> str:
    """Where a slot id is in the plan: the room's own slot, or a slot moved here (keyed by its
    source room), which is what a later override in this room acts on."""
    own = planned.get(slot_id)
    if own is not None and own.takes_place:
        return slot_id
    moved = (k for k, p in planned.items() if p.moved_from is not None and p.id == slot_id)
    return next(moved, slot_id)


def _apply(o: Override, p: Planned) -> Planned:
    kind = o.kind
    if kind is OverrideKind.LATE:
        minutes = o.minutes or 0
        start = p.scheduled_start + timedelta(minutes=minutes)
        return replace(p, start=min(start, p.end - timedelta(minutes=1)), late_minutes=minutes)
    if kind is OverrideKind.EXTEND and o.until is not None:
        return replace(p, end=o.until)
    if kind is OverrideKind.END:
        return replace(p, end=min(p.end, max(o.effective, p.start)), suspended=False)
    if kind is OverrideKind.SUSPEND:
        return replace(p, suspended=True, resume_at=o.until)
    if kind is OverrideKind.RESUME:
        return replace(p, suspended=False, resume_at=None)
    if kind is OverrideKind.CANCEL:
        return replace(p, cancelled=True, note=o.text)
    if kind is OverrideKind.MOVE:
        return replace(p, moved_to=o.to_room)
    if kind is OverrideKind.CLOSED:
        return replace(p, closed=True)
    if kind is OverrideKind.POINTER:
        return replace(p, pointer=o.text)
    return p


def change_instants(plan: RoomPlan, overrides: Sequence[Override]) -> set[datetime]:
    """Every instant at which the room's screens may change because of the plan or the overrides:
    planned starts and ends, and when overrides take effect or expire."""
    instants = {t for p in plan.slots for t in (p.start, p.end)}
    for o in overrides:
        instants.add(o.effective)
        if o.expires is not None:
            instants.add(o.expires)
    return instants
