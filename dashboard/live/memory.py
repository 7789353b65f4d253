"""The overrides kept in memory: those that can still shape what a screen shows.

The store keeps every override ever made (the log is append-only); the live state needs only
those that can still be in force.  Without forgetting, months of sessions would make every
refresh walk through every override ever made.  Forgotten here, an override stays in the store
(the console's history and ``GET /api/overrides?all=1`` read it from there).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from ..domain.overrides import Override, OverrideKind
from ..domain.plan import split_id
from ..domain.programme import Programme

# An override whose slot a revision removed is kept (and flagged to the secretariat) this long:
# a later revision may bring the slot back.
ORPHANS_KEPT = timedelta(days=14)


class OverrideMemory:
    def __init__(
        self, overrides: Iterable[Override], programmes: Mapping[str, Programme], now: datetime
    ) -> None:
        self._kept: list[Override] = list(overrides)
        self._view: tuple[Override, ...] = tuple(self._kept)
        self.forget_spent(programmes, now)

    @property
    def overrides(self) -> tuple[Override, ...]:
        """In the order they were made (a later one wins over an earlier)."""
        return self._view

    def add(self, override: Override, programmes: Mapping[str, Programme], now: datetime) -> None:
        self._kept.append(override)
        self._view = tuple(self._kept)
        self.forget_spent(programmes, now)

    def forget_spent(self, programmes: Mapping[str, Programme], now: datetime) -> None:
        cleared = {
            c.target for c in self._kept if c.kind is OverrideKind.CLEAR and c.effective <= now
        }
        kept = [o for o in self._kept if not _spent(o, cleared, programmes, now)]
        # A clear whose target is forgotten has nothing left to do.
        ids = {o.id for o in kept}
        kept = [o for o in kept if o.kind is not OverrideKind.CLEAR or o.target in ids]
        if len(kept) != len(self._kept):
            self._kept = kept
            # A new object only when something changed: "the same overrides" is then one
            # identity check (a state prepared ahead of a change: live/committed.py).
            self._view = tuple(kept)


def _spent(
    o: Override,
    cleared: set[str | None],
    programmes: Mapping[str, Programme],
    now: datetime,
) -> bool:
    if o.kind is OverrideKind.CLEAR:
        return False  # goes with its target (see forget_spent)
    if o.expires is not None and o.expires <= now:
        return True
    if o.id in cleared:
        return True
    return bool(o.slots) and _orphaned(o, programmes) and now - o.created > ORPHANS_KEPT


def _orphaned(o: Override, programmes: Mapping[str, Programme]) -> bool:
    for room, planned_id in o.slots:
        source, slot_id = split_id(planned_id)
        programme = programmes.get(source or room)
        if programme is not None and programme.slot_by_id(slot_id) is not None:
            return False
    return True
