"""What a room's screens show at an instant: a pure function of the programme and the instant.

The scheduler asks two questions: ``screen_state(programme, t)`` (what to show) and
``next_screen_change(programme, t)`` (when to ask again).  Both are pure, so the whole week can be
tested instant by instant without a server.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from .programme import Programme, Slot, local_instant


class Status(StrEnum):
    IN_SESSION = "in_session"  # a slot is under way
    NEXT_TODAY = "next_today"  # between slots, another one later today
    DONE_TODAY = "done_today"  # today's slots are over; the session goes on another day
    NO_MEETING_TODAY = "no_meeting_today"  # no slot today (before the session, a free day)
    SESSION_CLOSED = "session_closed"  # the last slot has ended


@dataclass(frozen=True, slots=True)
class ScreenState:
    day: date  # the venue's calendar day
    status: Status
    current: Slot | None
    next: Slot | None
    today: tuple[Slot, ...]


def screen_state(programme: Programme, instant: datetime) -> ScreenState:
    day = instant.astimezone(programme.tz).date()
    current = programme.slot_at(instant)
    upcoming = programme.next_slot(instant)
    today = programme.slots_on(day)
    if current is not None:
        status = Status.IN_SESSION
    elif upcoming is None:
        status = Status.SESSION_CLOSED if programme.slots else Status.NO_MEETING_TODAY
    elif upcoming.start.astimezone(programme.tz).date() == day:
        status = Status.NEXT_TODAY
    elif today:
        status = Status.DONE_TODAY
    else:
        status = Status.NO_MEETING_TODAY
    return ScreenState(day, status, current, upcoming, today)


def start_of_next_day(programme: Programme, instant: datetime) -> datetime:
    """Local midnight after ``instant``, or the first instant of that day where a DST change
    skips midnight itself."""
    day = instant.astimezone(programme.tz).date() + timedelta(days=1)
    for hour in range(3):
        try:
            return local_instant(day, time(hour), programme.tz)
        except ValueError:
            continue
    raise AssertionError("no zone skips three hours")  # pragma: no cover


def next_screen_change(programme: Programme, instant: datetime) -> datetime | None:
    """The first instant after ``instant`` at which ``screen_state`` may differ.

    A slot starting or ending, and the day changing (until the day after the last slot):
    "today" is part of what a screen shows.
    """
    candidates = []
    if (change := programme.next_change_after(instant)) is not None:
        candidates.append(change)
    midnight = start_of_next_day(programme, instant)
    if midnight.astimezone(programme.tz).date() <= programme.end_date + timedelta(days=1):
        candidates.append(midnight)
    return min(candidates, default=None)
