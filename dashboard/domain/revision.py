"""A revised programme compared with the running one: what the secretariat should see before
publishing it, and which overrides it would leave without their slot.  Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from .overrides import Override, standing
from .plan import split_id
from .programme import Programme, Slot


@dataclass(frozen=True)
class Moved:
    before: Slot
    after: Slot  # the same meeting (the same id), at another time


@dataclass(frozen=True)
class ProgrammeDiff:
    added: tuple[Slot, ...]
    removed: tuple[Slot, ...]
    moved: tuple[Moved, ...]  # other times (the text may have changed too)
    changed: tuple[Slot, ...]  # other text (as it now reads)
    header_changed: bool

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.moved or self.changed or self.header_changed)


def _text(slot: Slot) -> tuple[object, ...]:
    return slot.title, slot.details, slot.agenda_items, slot.footnotes, slot.kind


def diff_programmes(old: Programme, new: Programme) -> ProgrammeDiff:
    """What a revision changes, meeting by meeting: slots are the same meeting when they have
    the same id (``identity.carry_ids`` gives a revision's matched slots their old ids)."""
    old_by_id = {s.id: s for s in old.slots}
    new_by_id = {s.id: s for s in new.slots}
    added = tuple(s for s in new.slots if s.id not in old_by_id)
    removed = tuple(s for s in old.slots if s.id not in new_by_id)
    kept = [(old_by_id[s.id], s) for s in new.slots if s.id in old_by_id]
    moved = tuple(Moved(a, b) for a, b in kept if (a.start, a.end) != (b.start, b.end))
    changed = tuple(b for a, b in kept if _text(a) != _text(b))
    header = (old.title, old.session, old.venue, old.timezone, old.start_date, old.end_date)
    new_header = (new.title, new.session, new.venue, new.timezone, new.start_date, new.end_date)
    return ProgrammeDiff(added, removed, moved, changed, header != new_header)


def orphaned_overrides(
    overrides: Sequence[Override], programmes: Mapping[str, Programme], instant: datetime
) -> list[Override]:
    """Standing overrides that name a slot the (revised) programmes no longer have.  They are
    kept and flagged to the secretariat, never dropped."""
    orphans = []
    for o in standing(overrides, instant):
        for room, planned_id in o.slots:
            source, slot_id = split_id(planned_id)  # a slot moved into the room: its source's
            programme = programmes.get(source or room)
            if programme is None or programme.slot_by_id(slot_id) is None:
                orphans.append(o)
                break
    return orphans
