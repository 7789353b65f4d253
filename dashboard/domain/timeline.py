"""What a room's screens show at an instant: a pure function of the programme and the instant.

The scheduler asks two questions: ``screen_state(programme, t)`` (what to show) and
``next_screen_change(programme, t)`` (when to ask again).  Both are pure, so the whole week can be
tested instant by instant without a server.

``screen_state`` is the one function every view reads: displays, phones (now, today and the
week), the console, the JSON API and the overview all render a ``ScreenState``, so none of them
can disagree with another about what the overrides in force have made of the programme.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from .overrides import Override, in_force
from .plan import Banner, Planned, RoomPlan, change_instants, plan_active
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


class RoomTimeline:
    """``screen_state`` and ``next_screen_change`` of one room at many instants (a display's
    states to come, the rest of a session), planning once per set of overrides in force: between
    one override taking effect or expiring and the next, the plan does not change."""

    def __init__(
        self,
        programme: Programme,
        overrides: Sequence[Override] = (),
        room: str = "",
        programmes: Mapping[str, Programme] | None = None,
    ) -> None:
        self.programme = programme
        self.overrides = overrides
        self.room = room
        self.programmes = {**(programmes or {}), room: programme}
        self._plans: dict[tuple[str, ...], tuple[RoomPlan, list[datetime], date]] = {}

    def _plan(self, instant: datetime) -> tuple[RoomPlan, list[datetime], date]:
        """The plan at ``instant``, its change instants in order, and its last day."""
        active = in_force(self.overrides, instant)
        key = tuple(o.id for o in active)
        cached = self._plans.get(key)
        if cached is None:
            plan = plan_active(self.room, self.programmes, active)
            instants = sorted(change_instants(plan, self.overrides))
            last_day = max([self.programme.end_date, *(p.end.date() for p in plan.slots)])
            cached = self._plans[key] = (plan, instants, last_day)
        return cached

    def state(self, instant: datetime) -> ScreenState:
        """What the room's screens show at ``instant``."""
        programme = self.programme
        plan, _, _ = self._plan(instant)
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

    def next_change(self, instant: datetime) -> datetime | None:
        """The first instant after ``instant`` at which ``state`` may differ: a planned slot
        starting or ending, an override taking effect or expiring, and the day changing (until
        the day after the last slot): "today" is part of what a screen shows."""
        _, instants, last_day = self._plan(instant)
        i = bisect.bisect_right(instants, instant)
        following = instants[i] if i < len(instants) else None
        midnight = start_of_next_day(self.programme, instant)
        if midnight.astimezone(self.programme.tz).date() <= last_day + timedelta(days=1):
            following = midnight if following is None else min(following, midnight)
        return following


def screen_state(
    programme: Programme,
    instant: datetime,
    overrides: Sequence[Override] = (),
    room: str = "",
    programmes: Mapping[str, Programme] | None = None,
) -> ScreenState:
    """What the screens of ``room`` (showing ``programme``) show at ``instant``."""
    return RoomTimeline(programme, overrides, room, programmes).state(instant)


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
    """The first instant after ``instant`` at which ``screen_state`` may differ."""
    return RoomTimeline(programme, overrides, room, programmes).next_change(instant)
