"""Each kind of override end to end, as pure functions: a request becomes an override
(``build_override``), and what the screens show (``screen_state``) and when they next change
(``next_screen_change``) follow from the programme, the overrides and the instant alone."""

from __future__ import annotations

from datetime import timedelta

from dashboard.domain.timeline import Status
from tests.domain._plan_desk import (
    SPLIT,
    THU_AM,
    WED_AM,
    WED_PM,
    WEEK,
    Desk,
    ny,
    slot_ids,
)


def test_no_overrides_is_the_printed_programme() -> None:
    desk = Desk()
    plan = desk.plan(ny(13, 11))
    assert [(p.id, p.start, p.end) for p in plan.slots] == [
        (s.id, s.start, s.end) for s in WEEK.slots
    ]
    assert plan.banners == ()
    assert all(p.takes_place and not p.closed and p.pointer == "" for p in plan.slots)


# --- late --------------------------------------------------------------------------------------


def test_late_shows_the_expected_start() -> None:
    desk = Desk()
    desk.make(ny(13, 9, 50), room="cr4", kind="late", minutes=15)
    state = desk.screen(ny(13, 10, 5))
    assert state.status is Status.NEXT_TODAY
    assert state.current is None
    assert state.next is not None
    assert (state.next.id, state.next.start, state.next.scheduled_start) == (
        WED_AM,
        ny(13, 10, 15),
        ny(13, 10),
    )
    assert (state.next.late_minutes, state.next.end) == (15, ny(13, 13))
    # It starts at the expected time, and the afternoon is untouched.
    assert slot_ids(desk.screen(ny(13, 10, 15))) == (WED_AM, WED_PM)
    assert desk.plan(ny(13, 11)).find(WED_PM).start == ny(13, 15)  # type: ignore[union-attr]


def test_late_on_the_slot_under_way_puts_it_back_to_next() -> None:
    desk = Desk()
    assert desk.screen(ny(13, 10, 5)).status is Status.IN_SESSION
    desk.make(ny(13, 10, 5), room="cr4", kind="late", minutes=20)
    state = desk.screen(ny(13, 10, 5))
    assert state.status is Status.NEXT_TODAY
    assert state.next is not None and state.next.start == ny(13, 10, 20)


def test_late_shift_rest_moves_the_rest_of_the_half_day_only() -> None:
    desk = Desk({"cr2": SPLIT})
    desk.make(ny(13, 9, 55), room="cr2", kind="late", minutes=20, shift_rest=True)
    plan = desk.plan(ny(13, 10), "cr2")
    assert [(p.id, p.start, p.end) for p in plan.slots] == [
        ("2023-12-13-1000", ny(13, 10, 20), ny(13, 11, 30)),
        ("2023-12-13-1130", ny(13, 11, 50), ny(13, 13, 20)),
        ("2023-12-13-1500", ny(13, 15), ny(13, 16)),  # the afternoon keeps its time
    ]
    assert desk.screen(ny(13, 11, 40), "cr2").next.start == ny(13, 11, 50)  # type: ignore[union-attr]


def test_late_without_shift_rest_leaves_the_following_slot() -> None:
    desk = Desk({"cr2": SPLIT})
    desk.make(ny(13, 9, 55), room="cr2", kind="late", minutes=20)
    plan = desk.plan(ny(13, 10), "cr2")
    assert [(p.start, p.end) for p in plan.slots[:2]] == [
        (ny(13, 10, 20), ny(13, 11, 30)),
        (ny(13, 11, 30), ny(13, 13)),
    ]


def test_late_twice_takes_the_latest_word() -> None:
    desk = Desk()
    desk.make(ny(13, 9, 50), room="cr4", kind="late", minutes=15)
    desk.make(ny(13, 10, 10), room="cr4", kind="late", minutes=30)
    state = desk.screen(ny(13, 10, 20))
    assert state.next is not None
    assert (state.next.start, state.next.late_minutes) == (ny(13, 10, 30), 30)


# --- extend ------------------------------------------------------------------------------------


def test_extend_moves_the_end() -> None:
    desk = Desk()
    desk.make(ny(13, 12, 30), room="cr4", kind="extend", until="2023-12-13T13:30")
    state = desk.screen(ny(13, 13, 15))
    assert state.status is Status.IN_SESSION
    assert state.current is not None
    assert (state.current.id, state.current.end) == (WED_AM, ny(13, 13, 30))
    after = desk.screen(ny(13, 13, 30))
    assert (after.status, slot_ids(after)) == (Status.NEXT_TODAY, (None, WED_PM))


def test_extend_is_refused_into_the_next_slot_or_before_the_start() -> None:
    desk = Desk()
    assert desk.refuse(ny(13, 12, 30), room="cr4", kind="extend", until="2023-12-13T15:30").field
    assert desk.refuse(ny(13, 12, 30), room="cr4", kind="extend", until="2023-12-13T09:00").field
    assert desk.overrides == []
    assert desk.screen(ny(13, 13)).status is Status.NEXT_TODAY


def test_a_meeting_run_into_the_next_pushes_it_back() -> None:
    """Extended over a cancelled meeting whose cancellation is then undone: the two would
    overlap; the second is expected when the first ends, and screens say so."""
    desk = Desk()
    cancel = desk.make(ny(13, 11), room="cr4", kind="cancel", slot=WED_PM)
    desk.make(ny(13, 12, 30), room="cr4", kind="extend", until="2023-12-13T15:30")
    desk.make(ny(13, 14), room="cr4", kind="clear", target=cancel.id)
    state = desk.screen(ny(13, 15, 10))
    assert (state.status, slot_ids(state)) == (Status.IN_SESSION, (WED_AM, WED_PM))
    assert state.next is not None
    assert (state.next.start, state.next.late_minutes) == (ny(13, 15, 30), 30)
    assert desk.next_change(ny(13, 15, 10)) == ny(13, 15, 30)
    after = desk.screen(ny(13, 15, 30))
    assert slot_ids(after) == (WED_PM, THU_AM)


# --- end ---------------------------------------------------------------------------------------


def test_end_ends_the_slot_at_the_effective_instant() -> None:
    desk = Desk()
    desk.make(ny(13, 11), room="cr4", kind="end")
    assert desk.screen(ny(13, 10, 59, 59)).status is Status.IN_SESSION  # not in force yet
    state = desk.screen(ny(13, 11))
    assert (state.status, slot_ids(state)) == (Status.NEXT_TODAY, (None, WED_PM))
    assert state.today[0].id == WED_AM and state.today[0].end == ny(13, 11)
    assert state.notices == ()  # ended, not cancelled


def test_ending_the_last_slot_of_the_day() -> None:
    desk = Desk()
    desk.make(ny(13, 16), room="cr4", kind="end")
    state = desk.screen(ny(13, 16))
    assert (state.status, slot_ids(state)) == (Status.DONE_TODAY, (None, THU_AM))


def test_ending_the_last_slot_of_the_session() -> None:
    desk = Desk()
    desk.make(ny(15, 17), room="cr4", kind="end")
    assert desk.screen(ny(15, 17)).status is Status.SESSION_CLOSED
    assert desk.screen(ny(15, 16, 59)).status is Status.IN_SESSION


def test_end_at_a_future_effective_instant() -> None:
    desk = Desk()
    desk.make(ny(13, 10, 30), room="cr4", kind="end", effective="2023-12-13T12:00")
    assert desk.screen(ny(13, 11, 59)).current is not None
    assert desk.screen(ny(13, 11, 59)).current.end == ny(13, 13)  # type: ignore[union-attr]
    assert desk.screen(ny(13, 12)).current is None
    assert desk.next_change(ny(13, 10, 30)) == ny(13, 12)


def test_ending_a_slot_that_is_over_does_not_lengthen_it() -> None:
    desk = Desk()
    desk.make(ny(13, 14), room="cr4", kind="end", slot=WED_AM)
    state = desk.screen(ny(13, 14))
    assert state.today[0].end == ny(13, 13)
    assert state.status is Status.NEXT_TODAY


# --- suspend and resume ------------------------------------------------------------------------


def test_suspend_then_resume() -> None:
    desk = Desk()
    desk.make(ny(13, 11), room="cr4", kind="suspend", until="2023-12-13T11:30")
    state = desk.screen(ny(13, 11, 5))
    assert state.status is Status.SUSPENDED
    assert state.current is not None and state.current.suspended
    assert state.current.resume_at == ny(13, 11, 30)
    assert state.current.resume_at.utcoffset() == timedelta(hours=-5)
    assert desk.screen(ny(13, 10, 59)).status is Status.IN_SESSION

    desk.make(ny(13, 11, 20), room="cr4", kind="resume")
    state = desk.screen(ny(13, 11, 20))
    assert state.status is Status.IN_SESSION
    assert state.current is not None
    assert (state.current.suspended, state.current.resume_at) == (False, None)
    assert desk.screen(ny(13, 11, 19)).status is Status.SUSPENDED


def test_resume_without_a_suspension_is_refused() -> None:
    desk = Desk()
    assert desk.refuse(ny(13, 11), room="cr4", kind="resume").field == "kind"


def test_a_suspension_ends_with_its_slot() -> None:
    desk = Desk()
    desk.make(ny(13, 11), room="cr4", kind="suspend")
    assert desk.screen(ny(13, 12, 59)).status is Status.SUSPENDED
    assert desk.screen(ny(13, 13)).status is Status.NEXT_TODAY
    assert desk.screen(ny(13, 15)).status is Status.IN_SESSION  # the afternoon is not suspended


def test_ending_a_suspended_slot_clears_the_suspension() -> None:
    desk = Desk()
    desk.make(ny(13, 11), room="cr4", kind="suspend")
    desk.make(ny(13, 12), room="cr4", kind="end")
    assert desk.plan(ny(13, 12)).find(WED_AM).suspended is False  # type: ignore[union-attr]


# --- cancel ------------------------------------------------------------------------------------


def test_cancel_the_next_slot() -> None:
    desk = Desk()
    desk.make(ny(13, 14), room="cr4", kind="cancel", text="Postponed to Friday")
    state = desk.screen(ny(13, 14))
    assert (state.status, slot_ids(state)) == (Status.DONE_TODAY, (None, THU_AM))
    assert [p.id for p in state.notices] == [WED_PM]
    assert state.notices[0].cancelled and state.notices[0].note == "Postponed to Friday"
    assert [(p.id, p.cancelled) for p in state.today] == [(WED_AM, False), (WED_PM, True)]
    assert desk.screen(ny(13, 15, 30)).current is None
    # Once its time is over the notice goes; the day's list still shows it.
    after = desk.screen(ny(13, 18))
    assert after.notices == ()
    assert after.today[1].cancelled


def test_cancel_the_slot_under_way() -> None:
    desk = Desk()
    desk.make(ny(13, 10, 30), room="cr4", kind="cancel")
    state = desk.screen(ny(13, 10, 30))
    assert (state.status, slot_ids(state)) == (Status.NEXT_TODAY, (None, WED_PM))
    assert [p.id for p in state.notices] == [WED_AM]


def test_cancelling_every_slot_of_a_day() -> None:
    desk = Desk()
    desk.make(ny(13, 7), room="cr4", kind="cancel", slot=WED_AM)
    desk.make(ny(13, 7), room="cr4", kind="cancel", slot=WED_PM)
    state = desk.screen(ny(13, 9))
    assert (state.status, slot_ids(state)) == (Status.NO_MEETING_TODAY, (None, THU_AM))
    assert len(state.notices) == 2
