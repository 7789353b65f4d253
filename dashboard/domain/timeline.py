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
from .plan import Banner, Planned, RoomPlan, SlotStatus, change_instants, plan_active
from .programme import Programme, local_instant


class Status(StrEnum):
    IN_SESSION = "in_session"  # a slot is under way
    SUSPENDED = "suspended"  # a slot is under way but suspended
    NEXT_TODAY = "next_today"  # between slots, another one later today
    DONE_TODAY = "done_today"  # today's slots are over; the session goes on another day
    NO_MEETING_TODAY = "no_meeting_today"  # no slot today (before the session, a free day)
    SESSION_CLOSED = "session_closed"  # the last slot has ended


class Say(StrEnum):
    """What a room's screens say first: the headline (templates/macros.html words it)."""

    IN_SESSION = "in_session"  # "In session" (resumed, moved here: the same)
    CLOSED = "closed"  # "Closed meeting": a closed meeting under way
    SUSPENDED = "suspended"  # "Suspended — resumes at 4 p.m."
    EXTENDED = "extended"  # "Extended to 6.30 p.m."
    STARTS = "starts"  # the next meeting today, as printed: "Next at 3 p.m.", "Starts in 12 min"
    LATE = "late"  # the next meeting today, later than printed: "Running 15 min late"
    MOVED_HERE = "moved_here"  # the next meeting today comes from another room
    MOVED = "moved"  # a meeting of today moved to another room: "Moved to …"
    CANCELLED = "cancelled"
    ENDED_EARLY = "ended_early"  # until the printed end of the meeting that ended
    DONE_TODAY = "done_today"
    NO_MEETING_TODAY = "no_meeting_today"
    OPENS = "opens"  # before the session: "Opens Monday 11 December at 10 a.m."
    SESSION_ENDED = "session_ended"  # "The session ended on Friday 15 December"
    DAY_OFF = "day_off"  # a day the note gives no meetings, and why ("Official holiday")


# How loudly each headline speaks (the status band's colour): as it should be, waiting, a
# change to notice, a meeting that will not take place here.
TONES: Mapping[Say, str] = {
    Say.IN_SESSION: "go",
    Say.CLOSED: "warn",
    Say.SUSPENDED: "warn",
    Say.EXTENDED: "warn",
    Say.STARTS: "wait",
    Say.LATE: "warn",
    Say.MOVED_HERE: "warn",
    Say.MOVED: "stop",
    Say.CANCELLED: "stop",
    Say.ENDED_EARLY: "warn",
    Say.DONE_TODAY: "wait",
    Say.NO_MEETING_TODAY: "wait",
    Say.OPENS: "wait",
    Say.SESSION_ENDED: "wait",
    Say.DAY_OFF: "wait",
}


@dataclass(frozen=True, slots=True)
class Headline:
    """The one thing that matters most at the door, and the meetings that go with it."""

    say: Say
    focus: Planned | None = None  # the meeting the headline speaks of, shown large
    then: Planned | None = None  # the meeting after it ("Next")
    others: tuple[Planned, ...] = ()  # today's other meetings cancelled or moved away, to come
    day: date | None = None  # the session's last day (SESSION_ENDED)

    @property
    def tone(self) -> str:
        return TONES[self.say]


def headline(
    status: Status,
    current: Planned | None,
    upcoming: Planned | None,
    today: Sequence[Planned],
    notices: Sequence[Planned],
    slots: Sequence[Planned],
    instant: datetime,
) -> Headline:
    """What the screens say first, read from the state's meetings and their ``status_at``:
    the meeting under way; else a meeting of today that ended early (until its printed end);
    else a meeting cancelled or moved away before the next one; else the next one today; else
    the day, the session's start or its end."""
    if current is not None:
        others = tuple(notices)
        status_now = current.status_at(instant)
        say = {
            SlotStatus.SUSPENDED: Say.SUSPENDED,
            SlotStatus.CLOSED: Say.CLOSED,
            SlotStatus.EXTENDED: Say.EXTENDED,
        }.get(status_now, Say.IN_SESSION)
        if say is Say.IN_SESSION and current.slot.kind == "holiday":
            say = Say.DAY_OFF  # the note's day without meetings: no "In session" all day
        return Headline(say, current, upcoming, others)
    ended = [
        p
        for p in today
        if p.status_at(instant) is SlotStatus.ENDED
        and p.end < p.scheduled_end
        and instant < p.scheduled_end
    ]
    if ended:
        return Headline(Say.ENDED_EARLY, ended[-1], upcoming, tuple(notices))
    soon = upcoming if upcoming is not None and status is Status.NEXT_TODAY else None
    gone = [n for n in notices if soon is None or n.start <= soon.start]
    if gone:
        n = gone[0]
        say = Say.CANCELLED if n.status_at(instant) is SlotStatus.CANCELLED else Say.MOVED
        return Headline(say, n, upcoming, tuple(o for o in notices if o is not n))
    if soon is not None:
        if soon.moved_from is not None:
            say = Say.MOVED_HERE
        elif soon.status_at(instant) is SlotStatus.LATE:
            say = Say.LATE
        else:
            say = Say.STARTS
        return Headline(say, soon, _after(soon, slots), tuple(notices))
    if status is Status.SESSION_CLOSED:
        held = [p for p in slots if p.takes_place]
        return Headline(Say.SESSION_ENDED, day=max(p.end for p in held).date() if held else None)
    if status is Status.DONE_TODAY:
        return Headline(Say.DONE_TODAY, upcoming)
    if upcoming is not None and not any(p.start <= instant for p in slots if p.takes_place):
        return Headline(Say.OPENS, upcoming)
    return Headline(Say.NO_MEETING_TODAY, upcoming)


def _after(slot: Planned, slots: Sequence[Planned]) -> Planned | None:
    """The meeting taking place after ``slot`` in the room's plan (ordered by start)."""
    found = False
    for p in slots:
        if found and p.takes_place:
            return p
        found = found or p is slot
    return None


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
    headline: Headline | None = None  # what the screens say first (``headline``)

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
        said = headline(status, current, upcoming, today, notices, plan.slots, instant)
        return ScreenState(
            day, status, current, upcoming, today, plan.banners, notices, plan.slots, said
        )

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
