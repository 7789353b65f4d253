"""The hall board: every room's now and next on one lobby screen, read from the rooms' states.

Pure.  A board row is a meeting of one room as that room's ``ScreenState`` has it (the one
function every view reads, ``timeline.screen_state``), with what the board says of it in the
words of the door displays (``Say``).  So the board, the door displays, the phones and the JSON
cannot disagree.

A board must turn by itself at every boundary of any room, offline too, without a frame per
boundary: ``board_phases`` reads each room's state now and its states to come, and gives each
row once per stretch of time over which it reads the same (``Phase``: the row and its
half-open window [start, until)).  The page shows, at its clock's instant, the phases whose
window holds it: a meeting that finishes leaves, the next one turns from "Starts in 12 min"
to "In session", with no frame from the server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from .plan import Planned, SlotStatus
from .timeline import TONES, Say, ScreenState

# A room shows its meeting under way and the next one ("now and next"), and any cancelled
# between or before them: at most this many meetings that take place, a room.
MEETINGS_A_ROOM = 2


@dataclass(frozen=True, slots=True)
class Row:
    """One meeting on the board, as its room's state has it at an instant."""

    room: str  # where it is held (a meeting moved here: this room, marked ``moved_from``)
    meeting: Planned
    say: Say

    @property
    def tone(self) -> str:
        return TONES[self.say]


@dataclass(frozen=True, slots=True)
class Phase:
    """A row and when it reads so: from ``start`` (None: already, in the state now) until
    ``until`` (None: until the board is next sent)."""

    row: Row
    start: datetime | None
    until: datetime | None


def say_of(meeting: Planned, instant: datetime) -> Say:
    """What the board says of one meeting at ``instant``: the door displays' words for it."""
    status = meeting.status_at(instant)
    if status is SlotStatus.CANCELLED:
        return Say.CANCELLED
    if status is SlotStatus.MOVED:
        return Say.MOVED
    if meeting.slot.kind == "holiday":
        return Say.DAY_OFF  # the note's day without meetings: never "In session"
    if status is SlotStatus.SUSPENDED:
        return Say.SUSPENDED
    if status is SlotStatus.CLOSED:
        return Say.CLOSED
    if status is SlotStatus.EXTENDED:
        return Say.EXTENDED
    if status is SlotStatus.IN_SESSION:
        return Say.IN_SESSION
    if meeting.moved_from is not None:
        return Say.MOVED_HERE
    if status is SlotStatus.LATE:
        return Say.LATE
    return Say.STARTS


def room_rows(room: str, state: ScreenState, instant: datetime) -> tuple[Row, ...]:
    """The board's rows of one room at ``instant``: today's meetings not finished, the one
    under way and the next (``MEETINGS_A_ROOM``), with the cancelled ones before them.  A
    meeting moved away is not listed here: it is listed once, under the room it moved to."""
    rows: list[Row] = []
    held = 0
    for meeting in state.today:
        if meeting.end <= instant or meeting.moved_to is not None:
            continue
        if held >= MEETINGS_A_ROOM:
            break
        held += meeting.takes_place
        rows.append(Row(room, meeting, say_of(meeting, instant)))
    return tuple(rows)


def board_phases(
    rooms: Sequence[str],
    states: Mapping[str, Sequence[tuple[datetime | None, ScreenState]]],
    instant: datetime,
    horizon: datetime,
) -> tuple[Phase, ...]:
    """Every row of ``rooms`` from ``instant`` to ``horizon``, each once per stretch of time
    over which it reads the same.  ``states``: each room's state now (at None) and its states
    to come, each from its instant, in order; those from ``horizon`` on are left out.  In the
    board's order: by the meeting's time, then by the rooms' order."""
    order = {room: i for i, room in enumerate(rooms)}
    phases: list[Phase] = []
    for room in rooms:
        open_: dict[str, tuple[Row, datetime | None]] = {}  # meeting id → its row, since
        for at, state in states.get(room, ()):
            if at is not None and at >= horizon:
                break
            seen = at if at is not None and at > instant else instant
            rows = {r.meeting.id: r for r in room_rows(room, state, seen)}
            for id, (row, start) in list(open_.items()):
                if rows.get(id) != row:
                    if at is None or at > instant:  # else over before ``instant``
                        phases.append(Phase(row, start, at))
                    del open_[id]
            for id, row in rows.items():
                if id not in open_:
                    # From an instant already past: shown now, as in the state now.
                    open_[id] = (row, at if at is not None and at > instant else None)
        phases += [Phase(row, start, None) for row, start in open_.values()]
    phases.sort(
        key=lambda p: (
            p.row.meeting.start,
            order[p.row.room],
            p.row.meeting.id,
            p.start or instant,
        )
    )
    return tuple(phases)
