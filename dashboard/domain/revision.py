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
    after: Slot


@dataclass(frozen=True)
class ProgrammeDiff:
    added: tuple[Slot, ...]
    removed: tuple[Slot, ...]
    moved: tuple[Moved, ...]  # same text, other time
    changed: tuple[Slot, ...]  # same time, other text
    header_changed: bool

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.moved or self.changed or self.header_changed)


def _text(slot: Slot) -> tuple[str, tuple[str, ...]]:
    return slot.title, slot.details


def diff_programmes(old: Programme, new: Programme) -> ProgrammeDiff:
    old_by_id = {s.id: s for s in old.slots}
    new_by_id = {s.id: s for s in new.slots}
    gone = [s for s in old.slots if s.id not in new_by_id]
    came = [s for s in new.slots if s.id not in old_by_id]
    moved: list[Moved] = []
    for slot in list(gone):
        twin = next((s for s in came if _text(s) == _text(slot)), None)
        if twin is not None:
            moved.append(Moved(slot, twin))
            gone.remove(slot)
            came.remove(twin)
    changed = tuple(
        new_by_id[i] for i in old_by_id if i in new_by_id and old_by_id[i] != new_by_id[i]
    )
    header = (old.title, old.session, old.venue, old.timezone, old.start_date, old.end_date)
    new_header = (new.title, new.session, new.venue, new.timezone, new.start_date, new.end_date)
    return ProgrammeDiff(tuple(came), tuple(gone), tuple(moved), changed, header != new_header)


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
