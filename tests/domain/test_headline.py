"""What the screens say first (issue 10): ``ScreenState.headline``, read from the state's
meetings and their ``status_at``, for every state the door display must make unmissable."""

from __future__ import annotations

from datetime import date

from dashboard.domain.timeline import Headline, Say
from tests.domain._plan_desk import THU_AM, WED_AM, WED_PM, Desk, ny

FRI_PM = "2023-12-15-1500"


def said(desk: Desk, day: int, hour: int, minute: int = 0, room: str = "cr4") -> Headline:
    headline = desk.screen(ny(day, hour, minute), room).headline
    assert headline is not None
    return headline


def ids(headline: Headline) -> tuple[str | None, str | None]:
    focus, then = headline.focus, headline.then
    return (focus.id if focus else None, then.id if then else None)


def test_the_printed_programme() -> None:
    desk = Desk()
    before = said(desk, 10, 12)
    assert (before.say, ids(before), before.tone) == (Say.OPENS, ("2023-12-11-1000", None), "wait")
    assert said(desk, 11, 9).say is Say.STARTS  # the first day, before its first meeting
    now = said(desk, 13, 11)
    assert (now.say, ids(now), now.tone) == (Say.IN_SESSION, (WED_AM, WED_PM), "go")
    # Between meetings: the next one is the focus, the one after it follows.
    between = said(desk, 13, 14)
    assert (between.say, ids(between)) == (Say.STARTS, (WED_PM, THU_AM))
    evening = said(desk, 13, 19)
    assert (evening.say, ids(evening)) == (Say.DONE_TODAY, (THU_AM, None))
    over = said(desk, 16, 9)
    assert (over.say, over.focus, over.day) == (Say.SESSION_ENDED, None, date(2023, 12, 15))


def test_late_extended_suspended_closed() -> None:
    desk = Desk()
    desk.make(ny(13, 14), room="cr4", kind="late", minutes=15)
    late = said(desk, 13, 14, 30)
    assert (late.say, ids(late), late.tone) == (Say.LATE, (WED_PM, THU_AM), "warn")
    assert late.focus is not None and late.focus.late_minutes == 15

    desk = Desk()
    desk.make(ny(13, 12), room="cr4", kind="extend", until="2023-12-13T13:30")
    # From the moment it is extended: the door says until when.
    assert said(desk, 13, 12, 30).say is Say.EXTENDED
    assert said(desk, 13, 13, 10).say is Say.EXTENDED

    desk = Desk()
    desk.make(ny(13, 11), room="cr4", kind="suspend", until="2023-12-13T11:30")
    suspended = said(desk, 13, 11, 5)
    assert (suspended.say, ids(suspended)) == (Say.SUSPENDED, (WED_AM, WED_PM))
    desk.make(ny(13, 11, 20), room="cr4", kind="resume")
    assert said(desk, 13, 11, 25).say is Say.IN_SESSION

    desk = Desk()
    desk.make(ny(13, 10, 5), room="cr4", kind="closed")
    assert said(desk, 13, 10, 30).say is Say.CLOSED


def test_ended_early_until_the_printed_end() -> None:
    desk = Desk()
    desk.make(ny(13, 12), room="cr4", kind="end")
    ended = said(desk, 13, 12, 5)
    assert (ended.say, ids(ended), ended.tone) == (Say.ENDED_EARLY, (WED_AM, WED_PM), "warn")
    # At the printed end (1 p.m.) the screens change again: the next meeting.
    assert desk.next_change(ny(13, 12, 5)) == ny(13, 13)
    assert said(desk, 13, 13).say is Say.STARTS
    # The last meeting of the session ended early: then the session is over.
    desk.make(ny(15, 17), room="cr4", kind="end")
    assert said(desk, 15, 17, 30).say is Say.ENDED_EARLY
    assert said(desk, 15, 18).say is Say.SESSION_ENDED


def test_cancelled_and_moved_are_the_headline_until_the_meeting_would_have_ended() -> None:
    desk = Desk()
    desk.make(ny(13, 13), room="cr4", kind="cancel", text="Postponed to Friday")
    cancelled = said(desk, 13, 14)
    assert (cancelled.say, ids(cancelled), cancelled.tone) == (
        Say.CANCELLED,
        (WED_PM, THU_AM),
        "stop",
    )
    assert cancelled.focus is not None and cancelled.focus.note == "Postponed to Friday"
    assert said(desk, 13, 17, 59).say is Say.CANCELLED
    assert said(desk, 13, 18).say is Say.DONE_TODAY

    desk = Desk()
    desk.make(ny(13, 9, 50), room="cr4", kind="move", to_room="cr1")
    moved = said(desk, 13, 10, 30)
    assert (moved.say, ids(moved)) == (Say.MOVED, (WED_AM, WED_PM))
    assert moved.focus is not None and moved.focus.moved_to == "cr1"
    # The receiving room: "Moved here from …" before it starts, then in session.
    here = said(desk, 13, 9, 55, room="cr1")
    assert (here.say, ids(here)) == (Say.MOVED_HERE, (f"cr4/{WED_AM}", THU_AM))
    assert said(desk, 13, 10, 30, room="cr1").say is Say.IN_SESSION


def test_a_meeting_gone_later_is_listed_not_the_headline() -> None:
    desk = Desk()
    desk.make(ny(13, 9), room="cr4", kind="cancel", slot=WED_PM)
    now = said(desk, 13, 11)
    assert (now.say, ids(now)) == (Say.IN_SESSION, (WED_AM, THU_AM))
    assert [p.id for p in now.others] == [WED_PM]
    # Once the morning is over, the cancellation is what matters.
    assert said(desk, 13, 13, 30).say is Say.CANCELLED
    # A cancellation after the next meeting: the next meeting first.
    desk = Desk()
    desk.make(ny(15, 9), room="cr4", kind="cancel", slot=FRI_PM)
    friday = said(desk, 15, 9, 30)
    assert (friday.say, [p.id for p in friday.others]) == (Say.STARTS, [FRI_PM])
