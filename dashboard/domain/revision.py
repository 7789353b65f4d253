"""A revised programme compared with the running one: what the secretariat should see before
publishing it, and which overrides it would leave without their slot.  Pure."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from .overrides import Override, standing
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
    # Each slot gone is paired with the first slot come with the same text, in order; by text,
    # not by scanning every slot come for each one gone (a whole week moved is n²).
    waiting: dict[tuple[str, tuple[str, ...]], deque[int]] = defaultdict(deque)
    for k, slot in enumerate(came):
        waiting[_text(slot)].append(k)
    moved: list[Moved] = []
    unpaired: list[Slot] = []
    paired: set[int] = set()
    for slot in gone:
        twins = waiting.get(_text(slot))
        if twins:
            k = twins.popleft()
            paired.add(k)
            moved.append(Moved(slot, came[k]))
        else:
            unpaired.append(slot)
    gone = unpaired
    came = [s for k, s in enumerate(came) if k not in paired]
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
    ids: dict[str, set[str]] = {}  # by room, made once: a slot's id is formatted each time
    orphans = []
    for o in standing(overrides, instant):
        for room, slot_id in o.slots:
            programme = programmes.get(room)
            if programme is None:
                orphans.append(o)
                break
            if room not in ids:
                ids[room] = {s.id for s in programme.slots}
            if slot_id not in ids[room]:
                orphans.append(o)
                break
    return orphans
