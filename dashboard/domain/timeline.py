"""What a room's screens show at an instant: a pure function of the programme and the instant.

The scheduler asks two questions: ``screen_state(programme, t)`` (what to show) and
``next_screen_change(programme, t)`` (when to ask again).  Both are pure, so the whole week can be
tested instant by instant without a server.

``screen_state`` is the one function every view reads: displays, phones (now, today and the
week), the console, the JSON API and the overview all render a ``ScreenState``, so none of them
can disagree with another about what the overrides in force have made of the programme.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from .overrides import Override
from .plan import Banner, Planned, RoomPlan, change_instants, plan_room
from .programme import Programme, local_instant


class Status(StrEnum):
    IN_SESSION = "in_session"  # a slot is under way
    SUSPENDED = "suspended"  # a slot is under way but suspended
    NEXT_TODAY = "next_today"  # between slots, another one later today
    DONE_TODAY = "done_today"  # today's slots are over; the session goes on another day
    NO_MEETING_TODAY = "no_meeting_today"  # no slot today (before the session, a free day)
    SESSION_CLOSED = "session_closed"  # the last slot has ended


@dataclass(frozen=True, slots=True)
class ScreenState:
    day: date  # the venue's calendar day
    status: Status
    current: Planned | None
    next: Planned | None
    today: tuple[Planned, ...]  # including cancelled and moved-away slots, marked
    banners: tuple[Banner, ...] = ()
    notices: tuple[Planned, ...] = ()  # today's remaining slots cancelled or moved away
    slots: tuple[Planned, ...] = ()  # the room's whole plan (the week), as of this state

    def on(self, day: date) -> tuple[Planned, ...]:
        """The room's planned slots that start on ``day`` (the venue's calendar)."""
        return tuple(p for p in self.slots if p.start.date() == day)


def screen_state(
    programme: Programme,
    instant: datetime,
    overrides: Sequence[Override] = (),
    room: str = "",
    programmes: Mapping[str, Programme] | None = None,
) -> ScreenState:
    """What the screens of ``room`` (showing ``programme``) show at ``instant``."""
    plan = _plan(programme, instant, overrides, room, programmes)
    day = instant.astimezone(programme.tz).date()
    current = plan.current(instant)
    upcoming = plan.next(instant)
    today = plan.on(day)
    if current is not None:
        status = Status.SUSPENDED if current.suspended else Status.IN_SESSION
    elif upcoming is None:
        status = Status.SESSION_CLOSED if plan.slots else Status.NO_MEETING_TODAY
    elif upcoming.start.astimezone(programme.tz).date() == day:
        status = Status.NEXT_TODAY
    elif any(p.takes_place for p in today):
        status = Status.DONE_TODAY
    else:
        status = Status.NO_MEETING_TODAY
    notices = tuple(p for p in today if not p.takes_place and p.end > instant)
    return ScreenState(day, status, current, upcoming, today, plan.banners, notices, plan.slots)


def _plan(
    programme: Programme,
    instant: datetime,
    overrides: Sequence[Override],
    room: str,
    programmes: Mapping[str, Programme] | None,
) -> RoomPlan:
    return plan_room(room, {**(programmes or {}), room: programme}, overrides, instant)


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


def next_screen_change(
    programme: Programme,
    instant: datetime,
    overrides: Sequence[Override] = (),
    room: str = "",
    programmes: Mapping[str, Programme] | None = None,
) -> datetime | None:
    """The first instant after ``instant`` at which ``screen_state`` may differ.

    A planned slot starting or ending, an override taking effect or expiring, and the day
    changing (until the day after the last slot): "today" is part of what a screen shows.
    """
    plan = _plan(programme, instant, overrides, room, programmes)
    candidates = {t for t in change_instants(plan, overrides) if t > instant}
    midnight = start_of_next_day(programme, instant)
    last_day = max([programme.end_date, *(p.end.date() for p in plan.slots)])
    if midnight.astimezone(programme.tz).date() <= last_day + timedelta(days=1):
        candidates.add(midnight)
    return min(candidates, default=None)
