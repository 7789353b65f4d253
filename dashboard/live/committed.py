"""What a room's screens were last sent: its state's view, the display's states to come, and
each rendered once per language in use (live/service.py commits one per change)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from ..domain.overrides import Override
from ..domain.timeline import ScreenState
from .render import Renderer, RoomView

# What tells whether a room's screens must change: its state, the overrides standing on it, and
# the site's generation (bumped by each revision).
StateKey = tuple[ScreenState, tuple[Override, ...], int]

# States sent ahead to displays: the rest of the session, so that a display that loses the
# server in the evening still turns to the next morning's meetings (a week is a few dozen).
MAX_COMING = 64


@dataclass(frozen=True)
class Timeline:
    """A display's states to come, rendered once per language, resent only when they change."""

    entries: tuple[tuple[datetime, ScreenState], ...]
    coming: tuple[RoomView, ...]
    version: int  # the room's version when it was rendered
    htmls: dict[str, str] = field(default_factory=dict)  # by language, as first asked for

    def html(self, renderer: Renderer) -> str:
        if renderer.language not in self.htmls:
            self.htmls[renderer.language] = renderer.display_timeline(self.coming)
        return self.htmls[renderer.language]

    def still(self, entries: Sequence[tuple[datetime, ScreenState]], now: datetime) -> bool:
        """The same future as ``entries``, as seen at ``now`` (past entries are spent).  A
        timeline cut at ``MAX_COMING`` states ends at a horizon, not at the session's end: it
        is still good while what it holds is unchanged and it holds half of that at least."""
        mine = [e for e in self.entries if e[0] > now]
        if len(self.entries) >= MAX_COMING and self.entries:
            if len(mine) < MAX_COMING // 2:
                return False  # running short: send one reaching further
            horizon = self.entries[-1][0]
            entries = [e for e in entries if e[0] <= horizon]
        if len(mine) != len(entries) or any(
            a[0] != b[0] for a, b in zip(mine, entries, strict=True)
        ):
            return False
        # The states of one timeline share their plan (the session's slots, one tuple): compare
        # each pair of plans once, not once a state (thousands of slots, dozens of states).
        plans: dict[tuple[int, int], bool] = {}
        for (_, a), (_, b) in zip(mine, entries, strict=True):
            pair = (id(a.slots), id(b.slots))
            if pair not in plans:
                plans[pair] = a.slots == b.slots
            # Announcements are not part of the states to come (they are sent once, with
            # their instants, in the state now).
            if not plans[pair] or replace(a, slots=(), banners=()) != replace(
                b, slots=(), banners=()
            ):
                return False
        return True


@dataclass(frozen=True)
class RoomTexts:
    """A room's state rendered in one language: what each of its channels is sent."""

    now: str  # the display's state now
    timeline: str  # the display's states to come
    room: str  # the phone's room page
    card: str  # the room's card on the phones' overview


@dataclass(frozen=True)
class Committed:
    """What a room's screens were last sent (or, prepared, are to be sent next)."""

    key: StateKey
    view: RoomView
    timeline: Timeline
    texts: dict[str, RoomTexts] = field(default_factory=dict)  # by language
    first_change: datetime | None = None  # the first of the states to come, when it was made

    def in_language(self, renderer: Renderer) -> RoomTexts:
        """Rendered once per language (a language first asked for later renders it then)."""
        if renderer.language not in self.texts:
            self.texts[renderer.language] = RoomTexts(
                now=renderer.display_now(self.view),
                timeline=self.timeline.html(renderer),
                room=renderer.room_frame(self.view),
                card=renderer.card(self.view),
            )
        return self.texts[renderer.language]


@dataclass(frozen=True)
class Prepared:
    """A room's next version rendered ahead of its change (``LiveService.prepare``), with what
    it was made from: fit to publish only if all of that still holds."""

    before: Committed | None  # the version it follows
    overrides: tuple[Override, ...]  # every override known then (the same object if unchanged)
    committed: Committed

    def fits(
        self,
        before: Committed | None,
        overrides: tuple[Override, ...],
        key: StateKey,
        instant: datetime,
    ) -> bool:
        """Whether it is exactly what a refresh at ``instant`` would render: it follows the
        version now published, no override came or went, the state and the overrides standing
        are the same, and no change of its states to come has passed (its view was made at an
        instant at or before this one, for the same stretch of time)."""
        committed = self.committed
        first = committed.first_change
        return (
            self.before is before
            and self.overrides is overrides
            and committed.key == key
            and committed.view.since is not None
            and committed.view.since <= instant
            and (first is None or first > instant)
        )
